"""Readiness per framework: the share of its controls (SOC 2 CC6.1, CIS 1.5…) that pass.

DESIGN.md §4. A control is judged by the checks mapped to it, each check by its rolled-up
result (scoring.check_result, so a check is one vote however many resources it has):

- a control FAILs if any mapped check fails; else is ERROR if any errs (it cannot be
  called passing); else NOT_APPLICABLE if every mapped check is N/A; else it passes
  (PASS or RISK_ACCEPTED checks, the same rule as the score).
- percent = round(100 * passing / (passing + failing)) controls; ERROR and N/A controls
  are reported apart and are not in it. None (unknown) when no control is scoreable.

Pure functions over evidence dicts so every screen computes it the same way: the share
page and its PDF (snapshot data) and the dashboard (grouped live evidence). Each dict
needs {"question_key", "status", "frameworks": {"SOC 2": ["CC6.1"], ...}} and may carry
"count" (rows it stands for, default 1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from compliance_app.services.scoring import check_result
from compliance_app.vocabulary import EvidenceStatus

#: The frameworks the product reports on, in display order (checks/base.py FRAMEWORKS).
FRAMEWORKS: tuple[str, ...] = ("SOC 2", "CIS", "ISO 27001")


@dataclass(frozen=True)
class ControlResult:
    control: str
    result: str
    #: Keys of the checks mapped to the control.
    checks: tuple[str, ...]


@dataclass(frozen=True)
class FrameworkReadiness:
    framework: str
    #: Controls per outcome (not checks, not resources).
    passing: int
    failing: int
    errors: int
    #: 0-100 rounded, or None when no control was scoreable.
    percent: int | None
    not_applicable: int = 0
    controls: tuple[ControlResult, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def control_result(check_results: Iterable[EvidenceStatus | str]) -> EvidenceStatus:
    """FAIL, ERROR, NOT_APPLICABLE or PASS for a control from its mapped checks' results."""
    present = {EvidenceStatus(r) for r in check_results}
    if EvidenceStatus.FAIL in present:
        return EvidenceStatus.FAIL
    if EvidenceStatus.ERROR in present:
        return EvidenceStatus.ERROR
    if present <= {EvidenceStatus.NOT_APPLICABLE}:
        return EvidenceStatus.NOT_APPLICABLE
    return EvidenceStatus.PASS


def framework_readiness(
    evidence: Iterable[Mapping[str, Any]], frameworks: Iterable[str] = FRAMEWORKS
) -> list[FrameworkReadiness]:
    """One FrameworkReadiness per framework, in the order given, counting controls."""
    statuses: dict[str, set[str]] = {}
    mappings: dict[str, Mapping[str, list[str]]] = {}
    for row in evidence:
        key = str(row["question_key"])
        if row.get("count", 1):
            statuses.setdefault(key, set()).add(str(row["status"]))
        mappings.setdefault(key, row.get("frameworks") or {})
    results = {key: check_result(found) for key, found in statuses.items()}
    return [_framework(name, results, mappings) for name in frameworks]


def _framework(
    name: str, results: Mapping[str, EvidenceStatus], mappings: Mapping[str, Mapping[str, list[str]]]
) -> FrameworkReadiness:
    checks_of: dict[str, list[str]] = {}
    for key in sorted(results):
        for control in mappings[key].get(name) or []:
            checks_of.setdefault(control, []).append(key)
    controls = tuple(
        ControlResult(control, control_result(results[k] for k in keys).value, tuple(keys))
        for control, keys in sorted(checks_of.items())
    )
    tally = {status: sum(1 for c in controls if c.result == status) for status in
             ("PASS", "FAIL", "ERROR", "NOT_APPLICABLE")}
    scoreable = tally["PASS"] + tally["FAIL"]
    return FrameworkReadiness(
        framework=name,
        passing=tally["PASS"],
        failing=tally["FAIL"],
        errors=tally["ERROR"],
        percent=round(100 * tally["PASS"] / scoreable) if scoreable else None,
        not_applicable=tally["NOT_APPLICABLE"],
        controls=controls,
    )
