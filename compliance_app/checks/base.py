"""The contract between checks, providers and the scan engine.

A provider session collects raw API data; a check's `evaluate` is a pure function of
that data returning one Finding per resource. `run` wires the two and turns "could not
read" into ERROR findings, never PASS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from compliance_app.vocabulary import EvidenceStatus, Provider, Severity

FRAMEWORKS = ("SOC 2", "CIS", "ISO 27001")
_KEY_RE = re.compile(r"[a-z0-9]+(_[a-z0-9]+)+")


@dataclass(frozen=True)
class CheckMeta:
    key: str
    title: str
    provider: Provider
    service: str
    severity: Severity
    #: {"SOC 2": ["CC6.1"], "CIS": ["1.5"], "ISO 27001": ["5.17"]}
    frameworks: dict[str, list[str]]
    rationale: str
    remediation: str
    description: str = ""
    #: What a run that returns no finding ([]: nothing in scope) means, stored as one evidence
    #: row (DESIGN.md §4): NOT_APPLICABLE for "RDS is encrypted" with no RDS instance (shown,
    #: never scored); PASS where nothing there means the account-level setting is fine.
    when_empty: EvidenceStatus = EvidenceStatus.NOT_APPLICABLE
    #: How long uploaded proof for this check stays valid after its evidence date (a yearly
    #: review by default; a check whose proof ages faster, like a quarterly access review, says so).
    proof_valid_days: int = 365

    def validate(self) -> None:
        """Called when the catalog loads, so a malformed check fails at import, not mid-scan."""
        problems = []
        if not _KEY_RE.fullmatch(self.key):
            problems.append("key must be <service>_<expected_state> in lower snake case")
        for name in ("title", "rationale", "remediation", "service"):
            if not getattr(self, name).strip():
                problems.append(f"{name} is empty")
        unknown = set(self.frameworks) - set(FRAMEWORKS)
        if unknown:
            problems.append(f"unknown frameworks {sorted(unknown)}")
        if self.when_empty not in (EvidenceStatus.NOT_APPLICABLE, EvidenceStatus.PASS):
            problems.append("when_empty must be NOT_APPLICABLE or PASS")
        if self.proof_valid_days < 1:
            problems.append("proof_valid_days must be at least 1")
        if "SOC 2" not in self.frameworks or "ISO 27001" not in self.frameworks:
            problems.append("SOC 2 and ISO 27001 mappings are required")
        if problems:
            raise ValueError(f"check {self.key!r}: " + "; ".join(problems))


@dataclass
class Finding:
    """One result for one resource. raw_data is the trimmed API data that decided it."""

    resource_id: str
    status: EvidenceStatus
    message: str
    raw_data: dict[str, Any] = field(default_factory=dict)
    region: str | None = None

    @classmethod
    def nothing_in_scope(cls, meta: CheckMeta, resource_id: str) -> Finding:
        """The one row that stands for a check with nothing to look at (meta.when_empty)."""
        if meta.when_empty == EvidenceStatus.PASS:
            message = f"No {meta.service} resource in scope: nothing to fix for this check."
        else:
            message = f"No {meta.service} resource in scope: this check does not apply."
        return cls(resource_id=resource_id, status=meta.when_empty, message=message,
                   raw_data={"in_scope": 0})

    @classmethod
    def error(cls, resource_id: str, reason: str, region: str | None = None) -> Finding:
        return cls(resource_id=resource_id, status=EvidenceStatus.ERROR, message=reason,
                   raw_data={"error": reason}, region=region)


class Check:
    """Subclasses set `meta` and implement `run(session)` (usually collect + evaluate)."""

    meta: ClassVar[CheckMeta]

    def run(self, session: Any) -> list[Finding]:  # pragma: no cover - interface
        raise NotImplementedError
