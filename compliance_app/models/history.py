"""One score point per organization per day, feeding the trend charts."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compliance_app.models.types import ts_column, utcnow


class ScanHistory(SQLModel, table=True):
    __tablename__ = "scan_history"
    __table_args__ = (sa.UniqueConstraint("organization_id", "date", name="uq_scan_history_org_date"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organization.id", ondelete="CASCADE")
    date: date
    score: int | None = None
    #: Checks (not resources) per result, DESIGN.md §4: the unit of the score and the trend.
    total_pass: int = 0
    total_fail: int = 0
    total_accepted: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    total_error: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    total_not_applicable: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    #: Resources (evidence rows) beside the checks, so the trend can show both.
    resources_passing: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    resources_failing: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    #: Indexed: risk acceptance and audit deletion look points up by audit (a seq scan at scale).
    audit_id: uuid.UUID | None = Field(default=None, foreign_key="audit.id", ondelete="SET NULL", index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
