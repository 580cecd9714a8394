"""A failing question accepted as a risk, for a while and for a reason."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compliance_app.models.types import ts_column, utcnow


class RiskAcceptanceException(SQLModel, table=True):
    __tablename__ = "risk_acceptance_exception"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")
    question_id: int = Field(foreign_key="question.id")
    #: None accepts the question for every resource.
    resource_id: str | None = Field(default=None, max_length=500)
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    approved_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    expires_at: datetime = Field(sa_column=ts_column(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    revoked_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
