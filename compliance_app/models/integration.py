"""A connected GitHub organization or AWS account; secrets live only encrypted."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compliance_app.models.types import JSONType, enum_column, ts_column, utcnow
from compliance_app.vocabulary import Provider


class Integration(SQLModel, table=True):
    __tablename__ = "integration"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")
    provider: Provider = Field(sa_column=enum_column(Provider, nullable=False))
    name: str = Field(default="", max_length=200)
    #: Non-secret settings (GitHub org login, base URL, regions, role ARN, endpoint URL).
    config: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(JSONType, nullable=False))
    #: MultiFernet token of the JSON secrets (GitHub token, AWS secret key, external id).
    secret_encrypted: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False,
                                                                 info={"encrypted": True}))
    #: Last four characters of the main secret, so people can tell keys apart.
    secret_hint: str = Field(default="", max_length=8)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    last_tested_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    last_test_ok: bool | None = None
    last_test_message: str | None = Field(default=None, max_length=1000)
    last_used_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    last_used_status: str | None = Field(default=None, max_length=1000)
