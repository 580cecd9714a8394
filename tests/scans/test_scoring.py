"""DESIGN.md §4 scoring per check, as properties over arbitrary audits.

An audit here is a list of evidence rows (check key, severity, status); every check keeps
one severity. The old per-resource rule (every row one weighted vote) failed the first
three properties below: 1,300 passing snapshots outvoted one public bucket.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from compliance_app.models import EvidenceStatus, Severity
from compliance_app.services.readiness import control_result, framework_readiness
from compliance_app.services.scoring import (
    check_result,
    counts,
    score_audit,
    score_checks,
    scored_text,
)

PASS, FAIL, ERROR = EvidenceStatus.PASS, EvidenceStatus.FAIL, EvidenceStatus.ERROR
ACCEPTED, NA = EvidenceStatus.RISK_ACCEPTED, EvidenceStatus.NOT_APPLICABLE
statuses = st.sampled_from(list(EvidenceStatus))
severities = st.sampled_from(list(Severity))
check_keys = st.sampled_from([f"check_{i}" for i in range(8)])


@st.composite
def audits(draw: st.DrawFn, min_size: int = 0) -> list[tuple[str, Severity, EvidenceStatus]]:
    severity_of = draw(st.dictionaries(check_keys, severities, min_size=1))
    keys = sorted(severity_of)
    rows = draw(st.lists(st.tuples(st.sampled_from(keys), statuses), min_size=min_size, max_size=60))
    return [(key, severity_of[key], status) for key, status in rows]


def score_of(rows: list[tuple[str, Severity, EvidenceStatus]]) -> int | None:
    return score_audit((k, sev, s, 1) for k, sev, s in rows).score


def result_of(rows: list[tuple[str, Severity, EvidenceStatus]], key: str) -> str:
    return {c.key: c.result for c in score_audit((k, sev, s, 1) for k, sev, s in rows).checks}[key]


def test_weights_follow_the_design() -> None:
    # one critical pass (10) against one low fail (1): 10/11
    assert score_checks([(PASS, Severity.CRITICAL), (FAIL, Severity.LOW)]) == 91
    assert score_checks([(FAIL, Severity.HIGH), (PASS, Severity.MEDIUM)]) == 38
    assert score_checks([(FAIL, Severity.CRITICAL)]) == 0


def test_a_public_bucket_is_not_drowned_by_a_thousand_passing_snapshots() -> None:
    rows = [("ebs_snapshots_private", Severity.CRITICAL, PASS)] * 1301
    rows += [("s3_bucket_not_public", Severity.CRITICAL, FAIL), ("s3_bucket_not_public", Severity.CRITICAL, PASS)]
    result = score_audit((k, sev, s, 1) for k, sev, s in rows)
    assert result.score == 50  # two critical checks, one fails (per resource it was 99.8)
    bucket = next(c for c in result.checks if c.key == "s3_bucket_not_public")
    assert (bucket.result, bucket.resources_text) == ("FAIL", "1 of 2 resources failing")
    assert result.scored_text == "scored 2 of 2 checks (0 could not run)"


@given(audits(min_size=1), st.data(), st.integers(1, 50))
def test_adding_passing_resources_to_a_failed_check_changes_neither_its_result_nor_the_score(
    rows: list, data: st.DataObject, extra: int
) -> None:
    key, severity, _ = data.draw(st.sampled_from(rows))
    rows = [*rows, (key, severity, FAIL)]
    before_score, before_checks = score_of(rows), score_audit((k, sev, s, 1) for k, sev, s in rows).check_counts
    more = rows + [(key, severity, PASS)] * extra
    assert result_of(more, key) == "FAIL"
    assert score_of(more) == before_score
    assert score_audit((k, sev, s, 1) for k, sev, s in more).check_counts == before_checks


@given(audits(), check_keys, severities)
def test_one_failing_resource_fails_its_check(rows: list, key: str, severity: Severity) -> None:
    rows = [(k, severity if k == key else sev, s) for k, sev, s in rows] + [(key, severity, FAIL)]
    assert result_of(rows, key) == "FAIL"


@given(audits(), check_keys, severities)
def test_error_is_never_counted_as_passing(rows: list, key: str, severity: Severity) -> None:
    rows = [(k, severity if k == key else sev, s) for k, sev, s in rows] + [(key, severity, ERROR)]
    assert result_of(rows, key) in ("FAIL", "ERROR")
    without = [r for r in rows if r[0] != key]
    if result_of(rows, key) == "ERROR":
        assert score_of(rows) == score_of(without)  # neither a pass nor a failure


@given(audits(), check_keys, severities, st.integers(1, 20))
def test_not_applicable_is_never_scored(rows: list, key: str, severity: Severity, n: int) -> None:
    others = [r for r in rows if r[0] != key]
    with_na = [*others, *[(key, severity, NA)] * n]
    assert result_of(with_na, key) == "NOT_APPLICABLE"
    assert score_of(with_na) == score_of(others)
    # and N/A rows beside real results never change a check's result
    assert check_result([s for k, _, s in rows if k == key] + [NA]) == check_result(
        [s for k, _, s in rows if k == key] or [NA]
    )


@given(audits())
def test_score_is_none_only_when_no_check_is_scoreable(rows: list) -> None:
    result = score_audit((k, sev, s, 1) for k, sev, s in rows)
    scoreable = [c for c in result.checks if c.result in ("PASS", "FAIL", "RISK_ACCEPTED")]
    assert (result.score is None) == (not scoreable)
    assert result.score is None or 0 <= result.score <= 100
    assert result.scored == len(scoreable)
    assert result.total == len(result.checks) == sum(result.check_counts.values())
    assert result.resource_counts == counts(s for _, _, s in rows)


@given(audits())
def test_risk_accepted_counts_as_pass(rows: list) -> None:
    as_pass = [(k, sev, PASS if s == ACCEPTED else s) for k, sev, s in rows]
    assert score_of(rows) == score_of(as_pass)


@given(audits())
def test_grouped_rows_score_like_single_rows(rows: list) -> None:
    grouped: dict[tuple, int] = {}
    for row in rows:
        grouped[row] = grouped.get(row, 0) + 1
    assert score_audit((k, sev, s, n) for (k, sev, s), n in grouped.items()) == score_audit(
        (k, sev, s, 1) for k, sev, s in rows
    )


def test_check_result_precedence() -> None:
    assert check_result([PASS, ERROR, ACCEPTED]) == ERROR
    assert check_result([PASS, ACCEPTED, NA]) == ACCEPTED
    assert check_result([PASS, NA]) == PASS
    assert check_result([NA, NA]) == NA
    assert scored_text(18, 24, 1) == "scored 18 of 24 checks (1 could not run)"


def test_readiness_is_per_control_and_reports_error_and_na_apart() -> None:
    def row(key: str, status: str, controls: list[str]) -> dict:
        return {"question_key": key, "status": status, "frameworks": {"SOC 2": controls}}

    evidence = [
        *[row("snapshots_private", "PASS", ["CC6.1"])] * 1300,
        row("bucket_private", "FAIL", ["CC6.1"]), row("bucket_private", "PASS", ["CC6.1"]),
        row("trail_on", "PASS", ["CC7.2"]),
        row("rds_encrypted", "NOT_APPLICABLE", ["CC6.7"]),
        row("guardduty_on", "ERROR", ["CC7.3"]), row("guardduty_on", "PASS", ["CC7.3"]),
        row("accepted", "RISK_ACCEPTED", ["CC8.1"]),
    ]
    [soc2] = framework_readiness(evidence, frameworks=["SOC 2"])
    by_control = {c.control: c.result for c in soc2.controls}
    assert by_control == {"CC6.1": "FAIL", "CC7.2": "PASS", "CC6.7": "NOT_APPLICABLE", "CC7.3": "ERROR",
                          "CC8.1": "PASS"}
    assert (soc2.passing, soc2.failing, soc2.errors, soc2.not_applicable, soc2.percent) == (2, 1, 1, 1, 67)
    assert control_result([NA, PASS]) == PASS and control_result([ERROR, FAIL]) == FAIL
    assert framework_readiness([], frameworks=["CIS"])[0].percent is None
