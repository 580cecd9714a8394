"""API tokens: non-human members of exactly one organization, for CI pipelines and scripts."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from compliance_app.models.types import enum_column, ts_column, utcnow


class TokenScope(StrEnum):
    """What a token may do; services/api_tokens.py maps each onto a member role."""

    READ = "read"  # a viewer
    SCAN = "scan"  # a member: also starts scans
    ADMIN = "admin"  # an admin


class ApiToken(SQLModel, table=True):
    """Only the SHA-256 of the token is stored; the token itself is shown once, at creation.

    `window_started_at`/`window_count` are the per-token rate limit's fixed one-minute window,
    updated in the same statement that records the use, so every web process shares it.
    """

    __tablename__ = "api_token"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    scope: TokenScope = Field(sa_column=enum_column(TokenScope, nullable=False))
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    #: The token's first characters, so a person can tell tokens apart without the secret.
    prefix: str = Field(max_length=16)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    last_used_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    last_used_ip: str | None = Field(default=None, max_length=64)
    window_started_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    window_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
