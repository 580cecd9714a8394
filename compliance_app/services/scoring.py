"""Per-check results and the audit score (DESIGN.md §4): the ONE function every surface calls.

Evidence rows are per resource; the unit of the score is the check. `score_audit` rolls the
rows of each check up into one result and scores the checks:

- check result = FAIL if any of its rows is FAIL; else ERROR if any is ERROR (part of it
  could not be read, so it cannot be called passing); else RISK_ACCEPTED if any is; else
  PASS. NOT_APPLICABLE only when every row is NOT_APPLICABLE (nothing in scope).
- score = round(100 * Σ weight(checks PASS or RISK_ACCEPTED) / Σ weight(checks PASS, FAIL or
  RISK_ACCEPTED)), weights critical 10, high 5, medium 3, low 1. ERROR and NOT_APPLICABLE
  are never scored; None when nothing is scoreable, never 100 by default.

So 1,300 passing snapshots never hide one public bucket: they are resources of one check,
and that check fails. Pure functions (no database), so they can be property-tested and the
dashboard, audit page, share page, PDF, CLI, worker and the data migration agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from compliance_app.vocabulary import SEVERITY_WEIGHT, EvidenceStatus, Severity

#: One sentence on how the score is computed, for the dashboard (help line or tooltip).
SCORE_EXPLANATION = (
    "The score is the severity-weighted share of checks that pass (critical 10, high 5, "
    "medium 3, low 1): a check fails if any of its resources fails, risk-accepted checks "
    "count as passing, and checks that could not run or had nothing to check are not scored."
)

STATUSES: tuple[str, ...] = tuple(s.value for s in EvidenceStatus)
_PASSING = frozenset({EvidenceStatus.PASS, EvidenceStatus.RISK_ACCEPTED})
_SCOREABLE = _PASSING | {EvidenceStatus.FAIL}
#: Worst first: the first status present decides the check (N/A only when alone).
_PRECEDENCE = (
    EvidenceStatus.FAIL,
    EvidenceStatus.ERROR,
    EvidenceStatus.RISK_ACCEPTED,
    EvidenceStatus.PASS,
    EvidenceStatus.NOT_APPLICABLE,
)


def check_result(statuses: Iterable[EvidenceStatus | str]) -> EvidenceStatus:
    """The result of one check from the statuses of its rows (N/A when it has none)."""
    present = {EvidenceStatus(s) for s in statuses}
    return next((s for s in _PRECEDENCE if s in present), EvidenceStatus.NOT_APPLICABLE)


def is_passing(result: EvidenceStatus | str) -> bool:
    return EvidenceStatus(result) in _PASSING


def is_scoreable(result: EvidenceStatus | str) -> bool:
    return EvidenceStatus(result) in _SCOREABLE


def zero_counts() -> dict[str, int]:
    return dict.fromkeys(STATUSES, 0)


def counts(statuses: Iterable[EvidenceStatus | str]) -> dict[str, int]:
    """Number of evidence rows per status, every status present (zeros included)."""
    result = zero_counts()
    for status in statuses:
        result[EvidenceStatus(status).value] += 1
    return result


def resources_text(failing: int, total: int) -> str:
    """'3 of 120 resources failing' — what a check row says beside its result."""
    return f"{failing:,} of {total:,} resource{'' if total == 1 else 's'} failing"


@dataclass(frozen=True)
class CheckResult:
    """One check of one audit: its rolled-up result and its resources per status."""

    key: str
    severity: str
    result: str
    #: Evidence rows (resources) of this check per status, every status present.
    resources: dict[str, int]

    @property
    def weight(self) -> int:
        return SEVERITY_WEIGHT[Severity(self.severity)]

    @property
    def failing(self) -> int:
        return self.resources.get(EvidenceStatus.FAIL.value, 0)

    @property
    def total(self) -> int:
        return sum(self.resources.values())

    @property
    def resources_text(self) -> str:
        return resources_text(self.failing, self.total)


@dataclass(frozen=True)
class AuditScore:
    """Everything the surfaces show about an audit's result, from one roll-up."""

    score: int | None
    #: Ordered by key.
    checks: tuple[CheckResult, ...]
    #: Checks per result (Audit.check_counts, the CLI's `checks`).
    check_counts: dict[str, int]
    #: Evidence rows per status (Audit.counts, the CLI's `counts` and `resources`).
    resource_counts: dict[str, int] = field(default_factory=zero_counts)

    @property
    def total(self) -> int:
        """m: every check that ran."""
        return len(self.checks)

    @property
    def scored(self) -> int:
        """n: checks that count in the score (PASS, FAIL, RISK_ACCEPTED)."""
        return sum(1 for c in self.checks if is_scoreable(c.result))

    @property
    def could_not_run(self) -> int:
        """k: checks in ERROR."""
        return self.check_counts[EvidenceStatus.ERROR.value]

    @property
    def scored_text(self) -> str:
        return scored_text(self.scored, self.total, self.could_not_run)


def resources_summary(resource_counts: Mapping[str, int] | None) -> dict[str, int]:
    """The CLI's `resources`: evidence rows in total, passing (PASS or accepted), failing,
    could not be read, and not applicable."""
    rc = {s: int((resource_counts or {}).get(s, 0)) for s in STATUSES}
    return {
        "total": sum(rc.values()),
        "passing": rc[EvidenceStatus.PASS.value] + rc[EvidenceStatus.RISK_ACCEPTED.value],
        "failing": rc[EvidenceStatus.FAIL.value],
        "error": rc[EvidenceStatus.ERROR.value],
        "not_applicable": rc[EvidenceStatus.NOT_APPLICABLE.value],
    }


def scored_text(scored: int, total: int, could_not_run: int) -> str:
    """'scored 18 of 24 checks (2 could not run)': shown beside every score."""
    return f"scored {scored} of {total} check{'' if total == 1 else 's'} ({could_not_run} could not run)"


def scored_text_of(check_counts: Mapping[str, int] | None) -> str:
    """scored_text from stored Audit.check_counts ("" when the audit has none)."""
    if not check_counts:
        return ""
    checks = {s: int(check_counts.get(s, 0)) for s in STATUSES}
    scored = sum(n for s, n in checks.items() if is_scoreable(s))
    return scored_text(scored, sum(checks.values()), checks[EvidenceStatus.ERROR.value])


def score_checks(checks: Iterable[tuple[EvidenceStatus | str, Severity | str]]) -> int | None:
    """The §4 formula over (check result, severity) pairs; None when nothing is scoreable."""
    passed = total = 0
    for result, severity in checks:
        if not is_scoreable(result):
            continue
        weight = SEVERITY_WEIGHT[Severity(severity)]
        total += weight
        if is_passing(result):
            passed += weight
    return None if total == 0 else round(100 * passed / total)


def score_audit(rows: Iterable[tuple[str, Severity | str, EvidenceStatus | str, int]]) -> AuditScore:
    """Roll (check key, severity, evidence status, row count) groups up per check and score them.

    The rows are what `GROUP BY question, status` returns; `evidence_groups` turns evidence
    dicts (snapshot data) into the same shape.
    """
    per_check: dict[str, tuple[str, dict[str, int]]] = {}
    for key, severity, status, n in rows:
        _, resources = per_check.setdefault(key, (Severity(severity).value, zero_counts()))
        resources[EvidenceStatus(status).value] += n
    checks = tuple(
        CheckResult(key, severity, check_result(s for s, n in resources.items() if n).value, resources)
        for key, (severity, resources) in sorted(per_check.items())
    )
    check_counts = zero_counts()
    resource_counts = zero_counts()
    for check in checks:
        check_counts[check.result] += 1
        for status, n in check.resources.items():
            resource_counts[status] += n
    return AuditScore(
        score=score_checks((c.result, c.severity) for c in checks),
        checks=checks,
        check_counts=check_counts,
        resource_counts=resource_counts,
    )


def evidence_groups(evidence: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, str, int]]:
    """Evidence dicts ({"question_key", "severity", "status"}, as in snapshot data) as
    `score_audit` rows."""
    return [(str(e["question_key"]), str(e["severity"]), str(e["status"]), 1) for e in evidence]
