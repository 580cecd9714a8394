"""Frozen, checksummed audit dumps and the public links that expose them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compliance_app.models.types import JSONType, enum_column, ts_column, utcnow


class LinkDisclosure(StrEnum):
    """How much of the snapshot a public link shows (services/redaction.py builds the copy)."""

    FULL = "full"  # everything, raw API data included (links created before this choice existed)
    HIDE_RAW = "hide_raw"  # results and resources, no raw proof
    REDACT = "redact"  # raw proof kept, identifiers (names, account ids, key ids) masked


class AuditSnapshot(SQLModel, table=True):
    __tablename__ = "audit_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    audit_id: uuid.UUID = Field(foreign_key="audit.id", index=True, ondelete="CASCADE")
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")
    data: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    checksum: str = Field(max_length=64)
    is_pinned: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class PublicLink(SQLModel, table=True):
    __tablename__ = "public_link"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    snapshot_id: int = Field(foreign_key="audit_snapshot.id", index=True, ondelete="CASCADE")
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    label: str = Field(default="", max_length=200)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    expires_at: datetime = Field(sa_column=ts_column(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    view_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_viewed_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    disclosure: LinkDisclosure = Field(
        default=LinkDisclosure.REDACT,
        sa_column=enum_column(LinkDisclosure, nullable=False, server_default=LinkDisclosure.FULL.value),
    )
