"""The figures a snapshot shows (share page, PDF, snapshot lists), read from its frozen data.

Snapshots are immutable: one taken before scoring went per check keeps the per-resource
score it was frozen with, and its checksum. Wherever that score is shown it is labelled
"scored per resource (before <date>)"; such snapshots are told apart by the absence of
per-check results ("checks") in their data. Newer snapshots carry the per-check results,
and their label is the usual "scored n of m checks (k could not run)".

Pure functions of the data dict, so the public page, its PDF and the members' pages agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from compliance_app.services.readiness import FrameworkReadiness, framework_readiness
from compliance_app.services.scoring import (
    AuditScore,
    resources_text,
    scored_text_of,
    zero_counts,
)

#: The day scores became per check (DESIGN.md §4); snapshots without per-check results predate it.
PER_CHECK_SCORING_SINCE = date(2026, 12, 2)
PER_RESOURCE_LABEL = (
    f"scored per resource (before {PER_CHECK_SCORING_SINCE.day} {PER_CHECK_SCORING_SINCE:%b %Y})"
)


@dataclass(frozen=True)
class SnapshotCheck:
    question_key: str
    title: str
    severity: str
    result: str
    failing: int
    total: int
    resources_text: str


@dataclass(frozen=True)
class SnapshotFigures:
    score: int | None
    #: False for snapshots frozen before per-check scoring: their score counted resources.
    per_check: bool
    #: "scored 18 of 24 checks (2 could not run)" or "scored per resource (before 2 Dec 2026)".
    basis: str
    #: Checks per result (zeros for an old snapshot, which has none).
    check_counts: dict[str, int]
    #: Worst first, as in the data (empty for an old snapshot).
    checks: tuple[SnapshotCheck, ...]
    readiness: tuple[FrameworkReadiness, ...]


def is_per_check(data: Mapping[str, Any]) -> bool:
    return "checks" in data


def snapshot_checks(result: AuditScore, titles: Mapping[str, str]) -> list[dict[str, Any]]:
    """The per-check results frozen into a new snapshot's data (worst first, then by key)."""
    rank = {"FAIL": 0, "ERROR": 1, "RISK_ACCEPTED": 2, "PASS": 3, "NOT_APPLICABLE": 4}
    ordered = sorted(result.checks, key=lambda c: (rank[c.result], -c.weight, c.key))
    return [
        {"question_key": c.key, "title": titles.get(c.key, c.key), "severity": c.severity, "result": c.result,
         "resources": dict(c.resources)}
        for c in ordered
    ]


def score_basis(data: Mapping[str, Any]) -> str:
    """What the snapshot's score counted (cheap: no readiness, for lists)."""
    if not is_per_check(data):
        return PER_RESOURCE_LABEL
    return scored_text_of({**zero_counts(), **((data.get("audit") or {}).get("check_counts") or {})})


def snapshot_figures(data: Mapping[str, Any]) -> SnapshotFigures:
    """Score, its label, per-check results and readiness of a snapshot's data."""
    audit = data.get("audit") or {}
    evidence = data.get("evidence") or []
    readiness = tuple(framework_readiness(evidence))
    if not is_per_check(data):
        return SnapshotFigures(audit.get("score"), False, PER_RESOURCE_LABEL, zero_counts(), (), readiness)
    checks = tuple(
        SnapshotCheck(
            question_key=c["question_key"], title=c.get("title") or c["question_key"], severity=c["severity"],
            result=c["result"], failing=int(c["resources"].get("FAIL", 0)), total=sum(c["resources"].values()),
            resources_text=resources_text(int(c["resources"].get("FAIL", 0)), sum(c["resources"].values())),
        )
        for c in data["checks"]
    )
    check_counts = {**zero_counts(), **(audit.get("check_counts") or {})}
    return SnapshotFigures(audit.get("score"), True, score_basis(data), check_counts, checks, readiness)

