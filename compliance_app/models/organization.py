"""Tenants, who belongs to them, pending invitations and the activity trail."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compliance_app.models.types import JSONType, enum_column, ts_column, utcnow


def new_aws_external_id() -> str:
    """128 random bits in hex: accepted as sts:ExternalId, unguessable by another tenant."""
    return secrets.token_hex(16)


class SubscriptionStatus(StrEnum):
    FREE = "free"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"


class ScanFrequency(StrEnum):
    OFF = "off"
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"


class Role(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class Organization(SQLModel, table=True):
    __tablename__ = "organization"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    slug: str = Field(max_length=50, unique=True, index=True)
    owner_id: uuid.UUID = Field(foreign_key="user.id", index=True)
    subscription_status: SubscriptionStatus = Field(
        default=SubscriptionStatus.FREE,
        sa_column=enum_column(SubscriptionStatus, nullable=False, server_default="free"),
    )
    stripe_customer_id: str | None = Field(default=None, max_length=255, index=True)
    scan_frequency: ScanFrequency = Field(
        default=ScanFrequency.DAILY,
        sa_column=enum_column(ScanFrequency, nullable=False, server_default="daily"),
    )
    snapshot_retention_days: int = Field(default=90, sa_column_kwargs={"server_default": "90"})
    #: ExternalId this server sends when its own AWS credentials assume a customer's role: one
    #: per organization and chosen here, so no tenant can make the server assume another
    #: tenant's role (the confused deputy). Not a secret: customers put it in the trust policy.
    aws_external_id: str = Field(default_factory=new_aws_external_id, max_length=64)
    #: The seeded demo organization: sample figures, never scheduled nor scanned.
    is_demo: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    #: Members must sign in through single sign-on: password sign-in is refused for them (API
    #: tokens are unaffected). Only in force while the installation has SSO configured.
    require_sso: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class Membership(SQLModel, table=True):
    __tablename__ = "membership"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "organization_id", name="uq_membership_user_organization"),
        sa.Index("ix_membership_user_organization", "user_id", "organization_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="user.id", ondelete="CASCADE")
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")
    role: Role = Field(sa_column=enum_column(Role, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class Invitation(SQLModel, table=True):
    """An admin's invite by email; the link carries a token whose hash is stored here."""

    __tablename__ = "invitation"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")
    email: str = Field(max_length=320)
    role: Role = Field(sa_column=enum_column(Role, nullable=False))
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    invited_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    expires_at: datetime = Field(sa_column=ts_column(nullable=False))
    accepted_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))


class ActivityLog(SQLModel, table=True):
    """Who did what to which organization, and from where (never secrets)."""

    __tablename__ = "activity_log"
    __table_args__ = (sa.Index("ix_activity_log_org_created", "organization_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: uuid.UUID | None = Field(default=None, foreign_key="organization.id", ondelete="CASCADE")
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    actor_label: str = Field(default="", max_length=320)
    action: str = Field(max_length=80)
    target: str = Field(default="", max_length=400)
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
