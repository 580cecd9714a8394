"""Stripe webhook events already processed, so a replay changes nothing (and a late one is seen late)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from compliance_app.models.types import ts_column, utcnow


class StripeEvent(SQLModel, table=True):
    __tablename__ = "stripe_event"

    id: str = Field(primary_key=True, max_length=255)
    type: str = Field(max_length=120)
    received_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    #: The subscription the event is about and when Stripe created the event: an event
    #: older than one already recorded for the same subscription arrived out of order.
    subscription_id: str | None = Field(default=None, max_length=255)
    created_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
