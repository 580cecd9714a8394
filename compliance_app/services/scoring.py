"""Audit score per DESIGN.md §4, as pure functions so they can be property-tested.

score = round(100 * weight(PASS + RISK_ACCEPTED) / weight(PASS + FAIL + RISK_ACCEPTED)).
ERROR means "could not tell": it is shown to people but never counted, neither as a
pass nor as a failure. An audit with nothing scoreable has no score (None), not 100.
"""

from __future__ import annotations

from collections.abc import Iterable

from compliance_app.models import SEVERITY_WEIGHT, EvidenceStatus, Severity

_PASSING = frozenset({EvidenceStatus.PASS, EvidenceStatus.RISK_ACCEPTED})
_SCOREABLE = _PASSING | {EvidenceStatus.FAIL}


def score(evidence: Iterable[tuple[EvidenceStatus | str, Severity | str]]) -> int | None:
    """Severity-weighted share of passing evidence, 0..100, or None if nothing is scoreable."""
    return score_grouped((status, severity, 1) for status, severity in evidence)


def score_grouped(groups: Iterable[tuple[EvidenceStatus | str, Severity | str, int]]) -> int | None:
    """Same as `score` for (status, severity, count) rows, as a GROUP BY query returns them."""
    passed = total = 0
    for status, severity, count in groups:
        status = EvidenceStatus(status)
        if status not in _SCOREABLE:
            continue
        weight = SEVERITY_WEIGHT[Severity(severity)] * count
        total += weight
        if status in _PASSING:
            passed += weight
    if total == 0:
        return None
    return round(100 * passed / total)


def counts(statuses: Iterable[EvidenceStatus | str]) -> dict[str, int]:
    """Number of evidence rows per status, every status present (zeros included)."""
    result = {s.value: 0 for s in EvidenceStatus}
    for status in statuses:
        result[EvidenceStatus(status).value] += 1
    return result
