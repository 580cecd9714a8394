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
    def error(cls, resource_id: str, reason: str, region: str | None = None) -> Finding:
        return cls(resource_id=resource_id, status=EvidenceStatus.ERROR, message=reason,
                   raw_data={"error": reason}, region=region)


class Check:
    """Subclasses set `meta` and implement `run(session)` (usually collect + evaluate)."""

    meta: ClassVar[CheckMeta]

    def run(self, session: Any) -> list[Finding]:  # pragma: no cover - interface
        raise NotImplementedError
