"""Notifications: per-organization settings, members' opt-in, the outbox the workers
deliver from, and the delivery log admins read."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compliance_app.models.types import JSONType, enum_column, ts_column, utcnow


class NotificationRule(StrEnum):
    """Why a message is sent; each but TEST is switched on or off per organization."""

    NEW_FAILURES = "new_failures"
    SCAN_PROBLEMS = "scan_problems"
    RISK_EXPIRING = "risk_expiring"
    PROOF_EXPIRING = "proof_expiring"
    WEEKLY_DIGEST = "weekly_digest"
    TEST = "test"


class NotificationChannel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    #: Attempted and failed; retried later unless it was the last attempt.
    RETRYING = "RETRYING"
    FAILED = "FAILED"


class NotificationSettings(SQLModel, table=True):
    """One row per organization that configured notifications (none: nothing is sent)."""

    __tablename__ = "notification_settings"

    organization_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    )
    #: Addresses beyond the members who opted in (auditors, a shared mailbox).
    extra_recipients: list[str] = Field(
        default_factory=list, sa_column=sa.Column(JSONType, nullable=False, server_default="[]")
    )
    #: {"url": …} encrypted like integration secrets: an incoming-webhook URL is a credential.
    webhook_encrypted: str | None = Field(
        default=None, sa_column=sa.Column(sa.Text, nullable=True, info={"encrypted": True})
    )
    #: The webhook's host, shown to admins so they know which one is set (the path is the secret).
    webhook_host: str = Field(default="", max_length=255)
    #: {rule value: on?} for every rule but TEST.
    rules: dict[str, bool] = Field(default_factory=dict, sa_column=sa.Column(JSONType, nullable=False))
    #: IANA time zone of the weekly digest (Monday 09:00 there).
    timezone: str = Field(default="UTC", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class NotificationSubscription(SQLModel, table=True):
    """A member who opted in to the organization's email notifications."""

    __tablename__ = "notification_subscription"

    organization_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class NotificationOutbox(SQLModel, table=True):
    """One message to one recipient (an address, or the organization's webhook), delivered by a
    worker that claims it with FOR UPDATE SKIP LOCKED. `dedupe_key` is unique, so an event
    enqueued twice (two workers, a retried completion) still makes one message."""

    __tablename__ = "notification_outbox"
    __table_args__ = (sa.Index("ix_notification_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("organization.id", ondelete="CASCADE"), nullable=False,
                            index=True)
    )
    rule: NotificationRule = Field(sa_column=enum_column(NotificationRule, nullable=False))
    channel: NotificationChannel = Field(sa_column=enum_column(NotificationChannel, nullable=False))
    #: The email address; "" for the webhook (its URL is read, decrypted, when sending).
    recipient: str = Field(default="", max_length=320)
    audit_id: uuid.UUID | None = Field(
        default=None,
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("audit.id", ondelete="SET NULL"), nullable=True),
    )
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    dedupe_key: str = Field(max_length=300, unique=True)
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING, sa_column=enum_column(DeliveryStatus, nullable=False)
    )
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    claimed_by: str | None = Field(default=None, max_length=120)
    lease_until: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))


class NotificationLog(SQLModel, table=True):
    """One delivery attempt: what admins read on the notifications page."""

    __tablename__ = "notification_log"
    __table_args__ = (sa.Index("ix_notification_log_organization_created", "organization_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("organization.id", ondelete="CASCADE"), nullable=False)
    )
    outbox_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("notification_outbox.id", ondelete="SET NULL"),
                            nullable=True),
    )
    rule: NotificationRule = Field(sa_column=enum_column(NotificationRule, nullable=False))
    channel: NotificationChannel = Field(sa_column=enum_column(NotificationChannel, nullable=False))
    recipient: str = Field(default="", max_length=320)
    status: DeliveryStatus = Field(sa_column=enum_column(DeliveryStatus, nullable=False))
    attempt: int = 1
    error: str | None = Field(default=None, max_length=500)
    subject: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


def default_rules() -> dict[str, Any]:
    """Every rule on: an organization that configures recipients wants to hear."""
    return {rule.value: True for rule in NotificationRule if rule != NotificationRule.TEST}
