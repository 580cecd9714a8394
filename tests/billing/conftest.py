"""Billing fixtures: Stripe settings switched on/off through the environment, a fake gateway."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from compliance_app.models import Organization
from compliance_app.settings import get_settings

WEBHOOK_SECRET = "whsec_test_secret"
PRICE_ID = "price_test_pro"


@pytest.fixture
def billing_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_not_used")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("STRIPE_PRICE_ID", PRICE_ID)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def billing_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_PRICE_ID"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe-Signature header: t=<ts>,v1=hex(HMAC-SHA256(secret, "<ts>.<payload>"))."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def event_body(event_id: str, event_type: str, obj: dict[str, Any], *, created: int | None = None) -> bytes:
    """A Stripe event; `created` (Stripe's creation time, epoch seconds) defaults to now."""
    event = {"id": event_id, "object": "event", "type": event_type, "data": {"object": obj}}
    event["created"] = int(time.time()) if created is None else created
    return json.dumps(event).encode()


@dataclass
class FakeGateway:
    """Records every call instead of talking to Stripe."""

    calls: list[tuple[str, Any]] = field(default_factory=list)

    def create_customer(self, organization: Organization) -> str:
        self.calls.append(("create_customer", organization.id))
        return f"cus_{len(self.calls)}"

    def create_checkout_session(
        self,
        customer_id: str,
        price_id: str,
        success_url: str,
        cancel_url: str,
        *,
        client_reference_id: str | None = None,
    ) -> str:
        self.calls.append(("checkout", (customer_id, price_id, success_url, cancel_url, client_reference_id)))
        return f"https://checkout.example/{customer_id}"

    def create_portal_session(self, customer_id: str, return_url: str) -> str:
        self.calls.append(("portal", (customer_id, return_url)))
        return f"https://portal.example/{customer_id}"


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()
