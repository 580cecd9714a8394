"""People, their login sessions and the failed-login record that rate-limits guessing."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compliance_app.models.types import ts_column, utcnow


class User(SQLModel, table=True):
    __tablename__ = "user"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=320, sa_column_kwargs={"unique": True}, nullable=False)
    password_hash: str = Field(max_length=255)
    name: str = Field(default="", max_length=200)
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    #: The identity provider's subject (`sub`) this account signed in with first; a later sign-in
    #: with the same email but another subject (the address was given to someone else) is refused.
    sso_subject: str | None = Field(default=None, max_length=255, unique=True, index=True)
    #: The organization whose pages the user opened last: signing in lands on its dashboard.
    last_organization_id: uuid.UUID | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Uuid,
            sa.ForeignKey("organization.id", ondelete="SET NULL", name="fk_user_last_organization", use_alter=True),
            nullable=True,
        ),
    )


class UserSession(SQLModel, table=True):
    """A login. Only the SHA-256 of the browser's token is stored."""

    __tablename__ = "user_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    expires_at: datetime = Field(sa_column=ts_column(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    last_seen_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    ip_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=400)


class LoginAttempt(SQLModel, table=True):
    """Failed logins per account key and per client, counted in a sliding window."""

    __tablename__ = "login_attempt"
    __table_args__ = (sa.Index("ix_login_attempt_key_created", "key", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=400)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
