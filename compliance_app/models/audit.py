"""One run of the check catalog for an organization, and the evidence it produced."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compliance_app.models.types import JSONType, enum_column, ts_column, utcnow
from compliance_app.vocabulary import EvidenceStatus


class AuditStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


ACTIVE_AUDIT_STATUSES = (AuditStatus.PENDING, AuditStatus.RUNNING)


_ACTIVE_WHERE = sa.text("status IN ('PENDING', 'RUNNING')")


class Audit(SQLModel, table=True):
    __tablename__ = "audit"
    __table_args__ = (
        sa.Index("ix_audit_organization_created_at", "organization_id", "created_at"),
        # At most one active audit per organization, enforced by the database.
        sa.Index(
            "uq_audit_one_active_per_organization",
            "organization_id",
            unique=True,
            postgresql_where=_ACTIVE_WHERE,
            sqlite_where=_ACTIVE_WHERE,
        ),
        sa.CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="ck_audit_score_range"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")
    status: AuditStatus = Field(
        default=AuditStatus.PENDING, sa_column=enum_column(AuditStatus, nullable=False, index=True)
    )
    score: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False, index=True))
    triggered_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    started_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    progress_done: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    progress_total: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    current_check: str | None = Field(default=None, max_length=120)
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    worker_id: str | None = Field(default=None, max_length=120)
    lease_expires_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    #: Evidence rows (resources) per status: {"PASS": n, "FAIL": n, ...}, filled on completion.
    counts: dict[str, int] = Field(default_factory=dict, sa_column=sa.Column(JSONType, nullable=False))
    #: Checks per rolled-up result (DESIGN.md §4), the unit of the score: {"PASS": n, ...}.
    check_counts: dict[str, int] = Field(
        default_factory=dict, sa_column=sa.Column(JSONType, nullable=False, server_default="{}")
    )
    #: What the scan covered, per integration: regions scanned and regions skipped with the
    #: reason (denied by an SCP, not opted in), repositories seen versus the organization's
    #: count. {"<integration id>": {"provider": "aws", "scanned": [...], "skipped": {...}, ...}}
    scope: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(JSONType, nullable=False, server_default="{}")
    )
    #: What changed since the organization's previous completed audit (services/audit_diff.py),
    #: computed once when the audit completes so the dashboard and the audit page only read it;
    #: None for audits that have not completed (or completed before it was recorded).
    changes: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JSONType, nullable=True))


class Evidence(SQLModel, table=True):
    __tablename__ = "evidence"
    __table_args__ = (sa.Index("ix_evidence_audit_status", "audit_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    audit_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("audit.id", ondelete="CASCADE"), nullable=False)
    )
    question_id: int = Field(foreign_key="question.id", index=True)
    #: The integration (AWS account, GitHub organization) the resource belongs to, so the
    #: resources of two accounts never collide; kept as NULL if the integration is removed.
    integration_id: uuid.UUID | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Uuid,
            sa.ForeignKey("integration.id", ondelete="SET NULL", name="fk_evidence_integration"),
            nullable=True,
        ),
    )
    status: EvidenceStatus = Field(sa_column=enum_column(EvidenceStatus, nullable=False))
    resource_id: str = Field(default="", max_length=500)
    region: str | None = Field(default=None, max_length=40)
    message: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    raw_data: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(JSONType, nullable=False))
    #: Stored name of the proof file (private directory, served by an authorized route).
    screenshot: str | None = Field(default=None, max_length=200)
    screenshot_content_type: str | None = Field(default=None, max_length=60)
    remediation_steps: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    #: Status the check reported before any risk acceptance was applied.
    original_status: EvidenceStatus | None = Field(
        default=None, sa_column=enum_column(EvidenceStatus, nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
