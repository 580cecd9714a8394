"""DESIGN.md §4 scoring, as properties over arbitrary evidence."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from compliance_app.models import EvidenceStatus, Severity
from compliance_app.services.scoring import counts, score

statuses = st.sampled_from(list(EvidenceStatus))
severities = st.sampled_from(list(Severity))
evidence = st.lists(st.tuples(statuses, severities), max_size=60)
scoreable = st.lists(
    st.tuples(st.sampled_from([EvidenceStatus.PASS, EvidenceStatus.FAIL, EvidenceStatus.RISK_ACCEPTED]), severities),
    min_size=1,
    max_size=60,
)


def test_weights_follow_the_design() -> None:
    # one critical pass (10) against one low fail (1): 10/11
    assert score([(EvidenceStatus.PASS, Severity.CRITICAL), (EvidenceStatus.FAIL, Severity.LOW)]) == 91
    assert score([(EvidenceStatus.FAIL, Severity.HIGH), (EvidenceStatus.PASS, Severity.MEDIUM)]) == 38
    assert score([(EvidenceStatus.FAIL, Severity.CRITICAL)]) == 0


@given(evidence)
def test_score_is_none_or_within_0_and_100(items: list) -> None:
    result = score(items)
    assert result is None or 0 <= result <= 100


@given(evidence)
def test_nothing_scoreable_means_no_score(items: list) -> None:
    only_errors = [(EvidenceStatus.ERROR, sev) for _, sev in items]
    assert score(only_errors) is None
    assert score([]) is None


@given(scoreable)
def test_something_scoreable_always_has_a_score(items: list) -> None:
    assert score(items) is not None


@given(evidence, st.lists(severities, max_size=20))
def test_errors_never_change_the_score(items: list, error_severities: list) -> None:
    with_errors = items + [(EvidenceStatus.ERROR, sev) for sev in error_severities]
    assert score(with_errors) == score(items)


@given(scoreable, severities)
def test_monotone_in_passes(items: list, severity: Severity) -> None:
    before = score(items)
    assert score([*items, (EvidenceStatus.PASS, severity)]) >= before
    assert score([*items, (EvidenceStatus.FAIL, severity)]) <= before


@given(scoreable, st.data())
def test_turning_a_fail_into_a_pass_never_lowers_the_score(items: list, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(items) - 1))
    _status, severity = items[index]
    improved = [*items[:index], (EvidenceStatus.PASS, severity), *items[index + 1:]]
    assert score(improved) >= score(items)


@given(evidence)
def test_risk_accepted_counts_as_pass(items: list) -> None:
    as_pass = [(EvidenceStatus.PASS if s == EvidenceStatus.RISK_ACCEPTED else s, sev) for s, sev in items]
    assert score(items) == score(as_pass)


@given(evidence)
def test_counts_cover_every_status(items: list) -> None:
    result = counts(s for s, _ in items)
    assert set(result) == {s.value for s in EvidenceStatus}
    assert sum(result.values()) == len(items)
