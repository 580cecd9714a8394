"""POST /api/stripe/webhook through the real Starlette app, signed the way Stripe signs."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlmodel import func, select
from starlette.testclient import TestClient

from compliance_app.api import create_api
from compliance_app.db import session_scope
from compliance_app.models import ActivityLog, Organization, StripeEvent, SubscriptionStatus
from compliance_app.services.billing import handle_webhook
from tests.billing.conftest import PRICE_ID, event_body, sign
from tests.factories import make_org
from tests.support.asgi_stream import post_chunks

URL = "/api/stripe/webhook"


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_api())


@pytest.fixture
def org(db: str) -> Organization:
    org = make_org()
    with session_scope() as s:
        row = s.get(Organization, org.id)
        row.stripe_customer_id = "cus_known"
        s.add(row)
    return org


def post(client: TestClient, body: bytes, signature: str | None = None):
    return client.post(URL, content=body, headers={"Stripe-Signature": signature or sign(body)})


def status_of(org: Organization) -> SubscriptionStatus:
    with session_scope() as s:
        return s.get(Organization, org.id).subscription_status


def event_count() -> int:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(StripeEvent)).one()


def status_changes(org: Organization) -> list[dict]:
    with session_scope() as s:
        rows = s.exec(
            select(ActivityLog)
            .where(ActivityLog.organization_id == org.id, ActivityLog.action == "billing.status_changed")
            .order_by(ActivityLog.id)
        ).all()
        return [r.meta for r in rows]


#: What Stripe sends for a settled checkout of our plan (start_checkout puts the price in metadata).
PAID = {"payment_status": "paid", "metadata": {"price_id": PRICE_ID}}


def test_signed_events_move_status_active_past_due_canceled(billing_on, client, org):
    checkout = {
        "object": "checkout.session",
        "mode": "subscription",
        "customer": "cus_known",
        "client_reference_id": str(org.id),
        **PAID,
    }
    assert post(client, event_body("evt_1", "checkout.session.completed", checkout)).json() == {"received": True}
    assert status_of(org) == SubscriptionStatus.ACTIVE

    r = post(client, event_body("evt_2", "invoice.payment_failed", {"customer": "cus_known"}))
    assert r.status_code == 200
    assert status_of(org) == SubscriptionStatus.PAST_DUE

    r = post(
        client,
        event_body("evt_3", "customer.subscription.deleted", {"customer": "cus_known", "status": "canceled"}),
    )
    assert r.status_code == 200
    assert status_of(org) == SubscriptionStatus.CANCELED
    assert [(m["from"], m["to"]) for m in status_changes(org)] == [
        ("free", "active"),
        ("active", "past_due"),
        ("past_due", "canceled"),
    ]


@pytest.mark.parametrize(
    ("stripe_status", "expected"),
    [
        ("active", "active"),
        ("trialing", "active"),
        ("past_due", "past_due"),
        ("unpaid", "past_due"),
        ("canceled", "canceled"),
        ("incomplete_expired", "canceled"),
        ("incomplete", "free"),
    ],
)
def test_subscription_updated_maps_stripe_status(billing_on, client, org, stripe_status, expected):
    body = event_body(
        "evt_sub",
        "customer.subscription.updated",
        {"object": "subscription", "customer": "cus_known", "status": stripe_status},
    )
    assert post(client, body).status_code == 200
    assert status_of(org) == SubscriptionStatus(expected)


def test_checkout_by_reference_stores_customer_when_missing(billing_on, client, db):
    org = make_org()
    body = event_body(
        "evt_ck",
        "checkout.session.completed",
        {"mode": "subscription", "customer": "cus_new", "client_reference_id": str(org.id), **PAID},
    )
    assert post(client, body).status_code == 200
    with session_scope() as s:
        row = s.get(Organization, org.id)
        assert (row.subscription_status, row.stripe_customer_id) == (SubscriptionStatus.ACTIVE, "cus_new")


def test_payment_failed_does_not_lift_a_free_organization(billing_on, client, org):
    assert post(client, event_body("evt_pf", "invoice.payment_failed", {"customer": "cus_known"})).status_code == 200
    assert status_of(org) == SubscriptionStatus.FREE


def test_replayed_event_changes_nothing_twice(billing_on, client, org):
    activate = event_body("evt_a", "customer.subscription.created", {"customer": "cus_known", "status": "active"})
    cancel = event_body("evt_c", "customer.subscription.deleted", {"customer": "cus_known", "status": "canceled"})
    assert post(client, activate).status_code == 200
    assert post(client, cancel).status_code == 200
    assert status_of(org) == SubscriptionStatus.CANCELED
    # Stripe redelivers the first event (a fresh signature, same id): it must not reactivate.
    assert post(client, activate, sign(activate)).json() == {"received": True}
    assert status_of(org) == SubscriptionStatus.CANCELED
    assert event_count() == 2
    assert len(status_changes(org)) == 2


def _assert_rejected(client, org, body: bytes, signature: str, reason: str) -> None:
    r = post(client, body, signature)
    assert r.status_code == 400
    assert reason in r.json()["error"]
    assert status_of(org) == SubscriptionStatus.FREE
    assert event_count() == 0
    assert status_changes(org) == []


ACTIVATE = event_body("evt_x", "customer.subscription.updated", {"customer": "cus_known", "status": "active"})


def test_bad_signature_rejected(billing_on, client, org):
    _assert_rejected(client, org, ACTIVATE, sign(ACTIVATE, secret="whsec_wrong"), "invalid signature")


def test_tampered_body_rejected(billing_on, client, org):
    other = ACTIVATE.replace(b'"active"', b'"trialing"')
    _assert_rejected(client, org, other, sign(ACTIVATE), "invalid signature")


def test_missing_signature_rejected(billing_on, client, org):
    r = client.post(URL, content=ACTIVATE)
    assert r.status_code == 400
    assert status_of(org) == SubscriptionStatus.FREE


def test_stale_timestamp_rejected(billing_on, client, org):
    stale = sign(ACTIVATE, timestamp=int(time.time()) - 301)
    _assert_rejected(client, org, ACTIVATE, stale, "stale timestamp")


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"id": "evt_m", "object": "event"}'])
def test_malformed_body_rejected(billing_on, client, org, body):
    _assert_rejected(client, org, body, sign(body), "malformed body")


def test_unknown_event_type_acknowledged(billing_on, client, org):
    body = event_body("evt_u", "charge.refunded", {"customer": "cus_known"})
    assert post(client, body).json() == {"received": True}
    assert status_of(org) == SubscriptionStatus.FREE
    assert event_count() == 1


def test_unknown_customer_acknowledged_and_logged(billing_on, client, org, caplog):
    body = event_body("evt_n", "customer.subscription.updated", {"customer": "cus_nobody", "status": "active"})
    with caplog.at_level("WARNING", logger="compliance_app.services.billing"):
        assert post(client, body).json() == {"received": True}
    assert status_of(org) == SubscriptionStatus.FREE
    assert "cus_nobody" in caplog.text
    assert "whsec" not in caplog.text and "sk_test" not in caplog.text


def test_billing_off_answers_503(billing_off, client, org):
    r = post(client, ACTIVATE)
    assert r.status_code == 503
    assert status_of(org) == SubscriptionStatus.FREE


def test_concurrent_duplicate_deliveries_apply_once(billing_on, org):
    """Stripe may deliver one event twice at once: the stripe_event primary key lets one win."""
    body = event_body("evt_dup", "customer.subscription.created", {"customer": "cus_known", "status": "active"})
    barrier = Barrier(4)

    def deliver() -> str:
        barrier.wait()
        return handle_webhook(body, sign(body)).outcome

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(lambda _: deliver(), range(4)))
    assert outcomes == ["duplicate", "duplicate", "duplicate", "processed"]
    assert status_of(org) == SubscriptionStatus.ACTIVE
    assert len(status_changes(org)) == 1


def test_late_event_cannot_revive_a_canceled_subscription(billing_on, client, org):
    """Stripe retries: the 'active' update created before the cancellation arrives after it."""
    sub, t0 = {"id": "sub_1", "customer": "cus_known"}, 1_700_000_000
    active = event_body("evt_old", "customer.subscription.updated", {**sub, "status": "active"}, created=t0)
    deleted = event_body("evt_new", "customer.subscription.deleted", {**sub, "status": "canceled"}, created=t0 + 60)
    assert post(client, active).status_code == 200
    assert post(client, deleted).status_code == 200
    assert status_of(org) == SubscriptionStatus.CANCELED
    late = event_body("evt_retry", "customer.subscription.updated", {**sub, "status": "active"}, created=t0 + 30)
    assert post(client, late).json() == {"received": True}
    assert status_of(org) == SubscriptionStatus.CANCELED
    # A genuinely newer event (a resubscription) still applies.
    again = event_body("evt_newer", "customer.subscription.updated", {**sub, "status": "active"}, created=t0 + 90)
    assert post(client, again).status_code == 200
    assert status_of(org) == SubscriptionStatus.ACTIVE


@pytest.mark.parametrize(
    "session",
    [
        {"payment_status": "unpaid", "metadata": {"price_id": PRICE_ID}},  # card still processing
        {"payment_status": "paid", "metadata": {"price_id": "price_cheap_other_product"}},
        {"payment_status": "paid"},  # not a checkout start_checkout created
        {"payment_status": "paid", "line_items": {"data": [{"price": {"id": "price_cheap_other_product"}}]}},
    ],
)
def test_checkout_activates_only_when_paid_for_our_price(billing_on, client, org, session):
    body = event_body(
        "evt_ck2", "checkout.session.completed",
        {"mode": "subscription", "customer": "cus_known", "client_reference_id": str(org.id), **session},
    )  # fmt: skip
    assert post(client, body).status_code == 200
    assert status_of(org) == SubscriptionStatus.FREE


def test_checkout_of_our_price_from_line_items_activates(billing_on, client, org):
    body = event_body(
        "evt_ck3", "checkout.session.completed",
        {"mode": "subscription", "customer": "cus_known", "client_reference_id": str(org.id),
         "payment_status": "no_payment_required", "line_items": {"data": [{"price": {"id": PRICE_ID}}]}},
    )  # fmt: skip
    assert post(client, body).status_code == 200
    assert status_of(org) == SubscriptionStatus.ACTIVE


def test_webhook_reads_no_body_without_a_plausible_signature_and_stops_at_the_limit(billing_on, db):
    app = create_api()
    junk = post_chunks(app, URL, lambda i: b"x" * 65536, 100, {"content-type": "application/json"})
    assert (junk.status, junk.chunks_read) == (400, 0)
    forged = post_chunks(app, URL, lambda i: b"x" * 65536, 100,
                         {"content-type": "application/json", "stripe-signature": "t=1,v1=" + "ab" * 32})
    assert forged.status == 413 and forged.chunks_read <= 9  # 512 KiB, not the 6.4 MB sent
