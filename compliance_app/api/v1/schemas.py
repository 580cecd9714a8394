"""What /api/v1 returns: typed, so the OpenAPI document describes every field.

Models are built from the services' own rows and documents (no second query layer); fields a
service adds later are ignored until they are described here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore", from_attributes=True)


class Problem(_Out):
    detail: str = Field(description="One sentence fit to show a person")
    field: str | None = None


class OrganizationOut(_Out):
    slug: str
    name: str


class AuditOut(_Out):
    audit_id: str
    status: str = Field(description="PENDING, RUNNING, COMPLETED or FAILED")
    score: int | None = Field(description="0-100 over checks (DESIGN.md §4); null when nothing is scoreable")
    scored: str = Field(description="'scored n of m checks (k could not run)'")
    counts: dict[str, int] | None = Field(description="Evidence rows (resources) per status")
    checks: dict[str, int] | None = Field(description="Checks per rolled-up result")
    resources: dict[str, int]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class AuditPage(_Out):
    items: list[AuditOut]
    total: int
    page: int
    page_size: int
    pages: int


class CheckResultOut(_Out):
    key: str
    title: str
    provider: str
    service: str
    severity: str
    result: str = Field(description="PASS, FAIL, RISK_ACCEPTED, ERROR or NOT_APPLICABLE")
    failing: int = Field(description="Resources failing")
    total: int = Field(description="Resources checked")
    resources: dict[str, int] = Field(description="Resources per status")
    frameworks: dict[str, list[str]]


class AuditDetail(AuditOut):
    check_results: list[CheckResultOut] = Field(description="One row per check, worst first")


class EvidenceOut(_Out):
    id: int
    check: str
    title: str
    provider: str
    severity: str
    status: str
    original_status: str | None
    resource_id: str
    region: str | None
    message: str
    remediation_steps: str
    raw_data: dict[str, Any]


class EvidencePage(_Out):
    items: list[EvidenceOut]
    total: int
    page: int
    page_size: int
    pages: int


class CheckOut(_Out):
    key: str
    title: str
    provider: str
    service: str
    severity: str
    frameworks: dict[str, list[str]]
    rationale: str
    remediation: str


class TrendPoint(_Out):
    date: str
    score: int | None
    pass_: int = Field(alias="pass", serialization_alias="pass")
    fail: int
    accepted: int
    error: int
    not_applicable: int
    resources_passing: int | None
    resources_failing: int | None


class SnapshotOut(_Out):
    id: int
    audit_id: str
    checksum: str
    is_pinned: bool
    created_at: datetime
    created_by: str | None
    audit_finished_at: str | None
    score: int | None
    evidence_count: int
    bundle: str = Field(description="Path of the signed bundle (404/400 for a snapshot taken before signing)")


class SnapshotPage(_Out):
    items: list[SnapshotOut]
    total: int
    page: int
    page_size: int
    pages: int


class ScanOut(_Out):
    audit_id: str
    status: str = Field(description="PENDING, RUNNING, COMPLETED or FAILED")
    progress_done: int | None
    progress_total: int | None
    current_check: str | None = None
    score: int | None
    error: str | None
    audit: str = Field(description="Path of the audit with its per-check results")
