"""Subscriptions through Stripe: checkout, customer portal, webhooks, scan schedule.

Stripe calls go through the small `BillingGateway` protocol so tests pass a fake and never
touch the network; `StripeGateway` is the real one. Webhooks are verified with the stripe
package's own `Webhook.construct_event` (HMAC-SHA256 over "t.payload", 300 s tolerance) and
processed idempotently: the event id is inserted into stripe_event in the same transaction
as the status change, so a replay (or a concurrent duplicate delivery) changes nothing.

Stripe does not guarantee event order (a retried `customer.subscription.updated: active`
can arrive after the `deleted`), so each event is recorded with its subscription and
Stripe's creation time, and an event older than one already recorded for the same
subscription is acknowledged and ignored. A completed checkout activates only when it is
paid and bought our price.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import stripe
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from compliance_app.db import session_scope
from compliance_app.models import Organization, Provider, ScanFrequency, StripeEvent, SubscriptionStatus
from compliance_app.services import plans
from compliance_app.services.activity import record
from compliance_app.services.authz import Actor, Permission, authorize
from compliance_app.services.errors import Conflict, ServiceError, ValidationError
from compliance_app.settings import get_settings

log = logging.getLogger(__name__)

STRIPE_ACTOR = Actor.system("stripe")

#: Stripe subscription statuses we act on; others (incomplete, paused) leave ours unchanged.
SUBSCRIPTION_STATUS_MAP = {
    "active": SubscriptionStatus.ACTIVE,
    "trialing": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.PAST_DUE,
    "canceled": SubscriptionStatus.CANCELED,
    "incomplete_expired": SubscriptionStatus.CANCELED,
}


class BillingNotConfigured(ServiceError):
    """Stripe keys are not set: this installation has no billing (and no limits)."""

    status_code = 503


class WebhookRejected(ValidationError):
    """The webhook failed verification or could not be parsed; nothing was changed."""


class BillingGateway(Protocol):
    """The three Stripe calls the product makes; each returns an id or a URL."""

    def create_customer(self, organization: Organization) -> str: ...

    def create_checkout_session(
        self,
        customer_id: str,
        price_id: str,
        success_url: str,
        cancel_url: str,
        *,
        client_reference_id: str | None = None,
    ) -> str: ...

    def create_portal_session(self, customer_id: str, return_url: str) -> str: ...


class StripeGateway:
    """BillingGateway backed by the official stripe package."""

    def __init__(self, secret_key: str) -> None:
        self._client = stripe.StripeClient(secret_key, max_network_retries=2)

    def create_customer(self, organization: Organization) -> str:
        customer = self._client.v1.customers.create(
            params={"name": organization.name, "metadata": {"organization_id": str(organization.id)}},
            # A retried request (timeout, double click) returns the same customer.
            options={"idempotency_key": f"customer-{organization.id}"},
        )
        return customer.id

    def create_checkout_session(
        self,
        customer_id: str,
        price_id: str,
        success_url: str,
        cancel_url: str,
        *,
        client_reference_id: str | None = None,
    ) -> str:
        params: dict[str, Any] = {
            "mode": "subscription",
            "customer": customer_id,
            "line_items": [{"price": price_id, "quantity": 1}],
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if client_reference_id:
            params["client_reference_id"] = client_reference_id
        # Echoed in checkout.session.completed (line items are not), so the webhook can
        # tell our plan's checkout from any other the Stripe account runs.
        params["metadata"] = {"price_id": price_id}
        session = self._client.v1.checkout.sessions.create(params=params)
        return session.url or ""

    def create_portal_session(self, customer_id: str, return_url: str) -> str:
        session = self._client.v1.billing_portal.sessions.create(
            params={"customer": customer_id, "return_url": return_url}
        )
        return session.url


def _require_billing() -> None:
    if not plans.billing_enabled():
        raise BillingNotConfigured(
            "Billing is not configured on this installation — every organization has all features."
        )


def _gateway(gateway: BillingGateway | None) -> BillingGateway:
    return gateway or StripeGateway(get_settings().stripe_secret_key or "")


def _billing_url(organization: Organization, query: str = "") -> str:
    base = get_settings().app_url.rstrip("/")
    return f"{base}/o/{organization.slug}/billing{query}"


@dataclass(frozen=True)
class BillingOverview:
    """Everything the billing page shows; plain data, safe to hand to the UI."""

    organization_id: uuid.UUID
    slug: str
    billing_enabled: bool
    plan: plans.PlanSummary
    subscription_status: str
    has_billing_account: bool
    scan_frequency: str
    effective_scan_frequency: str
    github_integrations: int
    aws_integrations: int
    active_public_links: int
    #: Whether "Upgrade" is offered: billing configured and no subscription in force.
    can_upgrade: bool = False


#: Subscription states from which an organization may start a checkout.
UPGRADABLE_STATUSES = frozenset({SubscriptionStatus.FREE.value, SubscriptionStatus.CANCELED.value})


def get_billing_overview(actor: Actor, org_id: uuid.UUID) -> BillingOverview:
    with session_scope() as s:
        org = authorize(s, actor, org_id, Permission.MANAGE_BILLING).organization
        return BillingOverview(
            organization_id=org.id,
            slug=org.slug,
            billing_enabled=plans.billing_enabled(),
            plan=plans.plan_summary(org),
            subscription_status=SubscriptionStatus(org.subscription_status).value,
            has_billing_account=bool(org.stripe_customer_id),
            scan_frequency=ScanFrequency(org.scan_frequency).value,
            effective_scan_frequency=plans.effective_scan_frequency(org).value,
            github_integrations=plans.count_integrations(s, org, Provider.GITHUB),
            aws_integrations=plans.count_integrations(s, org, Provider.AWS),
            active_public_links=plans.count_active_links(s, org),
            can_upgrade=plans.billing_enabled()
            and SubscriptionStatus(org.subscription_status).value in UPGRADABLE_STATUSES,
        )


def start_checkout(actor: Actor, org_id: uuid.UUID, gateway: BillingGateway | None = None) -> str:
    """Return a Stripe Checkout URL for the Pro plan, creating the customer on first use.

    The organization row is locked while the customer is created, so two clicks at once
    cannot create two Stripe customers; the id is committed before the checkout session is
    requested, so a failure there does not lose it.
    """
    with session_scope() as s:
        authorize(s, actor, org_id, Permission.MANAGE_BILLING)
        _require_billing()
        gw = _gateway(gateway)
        price_id = get_settings().stripe_price_id
        if not price_id:
            raise BillingNotConfigured("Billing is missing STRIPE_PRICE_ID; ask the operator to set it.")
        org = _locked_org(s, org_id)
        if SubscriptionStatus(org.subscription_status) in plans.PAID_STATUSES:
            raise Conflict("This organization already has a subscription; use Manage billing to change it.")
        if not org.stripe_customer_id:
            org.stripe_customer_id = gw.create_customer(org)
            s.add(org)
            record(s, actor, "billing.customer_created", organization_id=org.id, target=org.slug)
    return gw.create_checkout_session(
        org.stripe_customer_id,
        price_id,
        _billing_url(org, "?checkout=success"),
        _billing_url(org, "?checkout=canceled"),
        client_reference_id=str(org.id),
    )


def open_portal(actor: Actor, org_id: uuid.UUID, gateway: BillingGateway | None = None) -> str:
    """Return a Stripe customer portal URL (invoices, card, cancel)."""
    with session_scope() as s:
        org = authorize(s, actor, org_id, Permission.MANAGE_BILLING).organization
        _require_billing()
        if not org.stripe_customer_id:
            raise ValidationError("This organization has no billing account yet; choose Upgrade first.")
    # Outside the transaction: no database connection is held while Stripe answers.
    return _gateway(gateway).create_portal_session(org.stripe_customer_id, _billing_url(org))


def set_scan_frequency(actor: Actor, org_id: uuid.UUID, frequency: ScanFrequency | str) -> ScanFrequency:
    """Change how often scheduled scans run, within what the plan allows."""
    try:
        wanted = ScanFrequency(frequency)
    except ValueError:
        choices = ", ".join(f.value for f in ScanFrequency)
        raise ValidationError(
            f"Unknown scan frequency '{frequency}'; choose one of {choices}.", field="frequency"
        ) from None
    with session_scope() as s:
        org = authorize(s, actor, org_id, Permission.MANAGE_ORGANIZATION).organization
        plans.check_scan_frequency(org, wanted)
        previous = ScanFrequency(org.scan_frequency)
        if previous != wanted:
            org.scan_frequency = wanted
            s.add(org)
            record(
                s,
                actor,
                "organization.scan_frequency_changed",
                organization_id=org.id,
                target=org.slug,
                meta={"from": previous.value, "to": wanted.value},
            )
        return wanted


def _locked_org(session: Session, org_id: uuid.UUID) -> Organization:
    return session.exec(select(Organization).where(Organization.id == org_id).with_for_update()).one()


# --- webhooks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookResult:
    """outcome: processed | duplicate | stale | ignored | unknown_customer."""

    event_id: str
    event_type: str
    outcome: str


@dataclass(frozen=True)
class _Event:
    id: str
    type: str
    object: dict[str, Any]
    created_at: datetime | None


def _verify(payload: bytes, sig_header: str) -> _Event:
    secret = get_settings().stripe_webhook_secret
    try:
        event = stripe.Webhook.construct_event(payload, sig_header, secret)
    except stripe.SignatureVerificationError as exc:
        reason = "stale timestamp" if "tolerance" in str(exc) else "invalid signature"
        raise WebhookRejected(f"Webhook rejected: {reason}.") from None
    except (ValueError, TypeError, AttributeError):
        raise WebhookRejected("Webhook rejected: malformed body.") from None
    data = event.to_dict()
    event_id, event_type = data.get("id"), data.get("type")
    obj = (data.get("data") or {}).get("object")
    if not isinstance(event_id, str) or not isinstance(event_type, str) or not isinstance(obj, dict):
        raise WebhookRejected("Webhook rejected: malformed body.")
    created = data.get("created")
    created_at = datetime.fromtimestamp(created, UTC) if isinstance(created, int) and created > 0 else None
    return _Event(event_id, event_type, obj, created_at)


def handle_webhook(payload: bytes, sig_header: str) -> WebhookResult:
    """Verify and apply one Stripe event; raise WebhookRejected (400) if it is not genuine."""
    _require_billing()
    event = _verify(payload, sig_header)
    event_id, event_type, obj = event.id, event.type, event.object
    subscription_id = _subscription_id(event_type, obj)
    try:
        with session_scope() as s:
            if s.get(StripeEvent, event_id) is not None:
                return WebhookResult(event_id, event_type, "duplicate")
            s.add(
                StripeEvent(
                    id=event_id, type=event_type[:120], subscription_id=subscription_id, created_at=event.created_at
                )
            )
            s.flush()  # a concurrent delivery of the same event fails here, before any change
            outcome = _apply(s, event, subscription_id)
    except IntegrityError:
        return WebhookResult(event_id, event_type, "duplicate")
    return WebhookResult(event_id, event_type, outcome)


def _subscription_id(event_type: str, obj: dict[str, Any]) -> str | None:
    """The subscription an event is about (the object itself, or the one it names)."""
    value = obj.get("id") if event_type.startswith("customer.subscription.") else obj.get("subscription")
    if isinstance(value, dict):  # expanded object
        value = value.get("id")
    return value[:255] if isinstance(value, str) and value else None


def _is_stale(session: Session, event: _Event, subscription_id: str | None) -> bool:
    """True when another event for the same subscription, created later by Stripe, is recorded.

    Called with the organization row locked, so two deliveries for one subscription are
    compared one after the other, never both against the same older state.
    """
    if subscription_id is None or event.created_at is None:
        return False
    latest = session.exec(
        select(func.max(StripeEvent.created_at)).where(
            StripeEvent.subscription_id == subscription_id, StripeEvent.id != event.id
        )
    ).one()
    return latest is not None and event.created_at < latest


def _customer_id(obj: dict[str, Any]) -> str | None:
    customer = obj.get("customer")
    if isinstance(customer, dict):  # expanded object
        customer = customer.get("id")
    return customer if isinstance(customer, str) and customer else None


def _org_for_customer(session: Session, customer_id: str | None) -> Organization | None:
    if not customer_id:
        return None
    return session.exec(
        select(Organization).where(Organization.stripe_customer_id == customer_id).with_for_update()
    ).first()


def _org_for_checkout(session: Session, obj: dict[str, Any]) -> Organization | None:
    """client_reference_id is our organization id (set by start_checkout); fall back to the customer."""
    reference = obj.get("client_reference_id")
    if isinstance(reference, str):
        try:
            org = session.exec(
                select(Organization).where(Organization.id == uuid.UUID(reference)).with_for_update()
            ).first()
        except ValueError:
            org = None
        if org is not None:
            customer_id = _customer_id(obj)
            if customer_id and not org.stripe_customer_id:
                org.stripe_customer_id = customer_id
                session.add(org)
            return org
    return _org_for_customer(session, _customer_id(obj))


def _target_status(event_type: str, obj: dict[str, Any], current: SubscriptionStatus) -> SubscriptionStatus | None:
    """The status this event asks for, or None when it asks for nothing."""
    if event_type == "checkout.session.completed":
        return SubscriptionStatus.ACTIVE if _is_paid_checkout_of_our_plan(obj) else None
    if event_type in ("customer.subscription.created", "customer.subscription.updated"):
        return SUBSCRIPTION_STATUS_MAP.get(str(obj.get("status")))
    if event_type == "customer.subscription.deleted":
        return SubscriptionStatus.CANCELED
    if event_type == "invoice.payment_failed":
        # Only a paying organization falls into dunning; past_due keeps paid features, so a
        # failed one-off invoice must not lift a free or canceled organization to them.
        return SubscriptionStatus.PAST_DUE if current == SubscriptionStatus.ACTIVE else None
    return None


#: Checkout sessions whose payment is settled (a card still processing says "unpaid").
PAID_CHECKOUT = frozenset({"paid", "no_payment_required"})


def _is_paid_checkout_of_our_plan(obj: dict[str, Any]) -> bool:
    """A subscription checkout, paid, for STRIPE_PRICE_ID (from its line items when Stripe
    included them, else from the metadata start_checkout put on the session)."""
    if obj.get("mode", "subscription") != "subscription" or obj.get("payment_status") not in PAID_CHECKOUT:
        return False
    line_items = (obj.get("line_items") or {}).get("data") if isinstance(obj.get("line_items"), dict) else None
    if isinstance(line_items, list) and line_items:
        prices = {((item.get("price") or {}).get("id")) for item in line_items if isinstance(item, dict)}
    else:
        metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        prices = {metadata.get("price_id")}
    return get_settings().stripe_price_id in prices


HANDLED_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.payment_failed",
    }
)


def _apply(session: Session, event: _Event, subscription_id: str | None) -> str:
    event_id, event_type, obj = event.id, event.type, event.object
    if event_type not in HANDLED_EVENTS:
        return "ignored"
    if event_type == "checkout.session.completed":
        org = _org_for_checkout(session, obj)
    else:
        org = _org_for_customer(session, _customer_id(obj))
    if org is None:
        log.warning(
            "Stripe event %s (%s) names no known organization (customer %s); acknowledged",
            event_id,
            event_type,
            _customer_id(obj) or "-",
        )
        return "unknown_customer"
    if _is_stale(session, event, subscription_id):
        log.info("Stripe event %s (%s) is older than one already recorded; ignored", event_id, event_type)
        return "stale"
    current = SubscriptionStatus(org.subscription_status)
    target = _target_status(event_type, obj, current)
    if target is None or target == current:
        return "ignored" if target is None else "processed"
    org.subscription_status = target
    session.add(org)
    record(
        session,
        STRIPE_ACTOR,
        "billing.status_changed",
        organization_id=org.id,
        target=org.slug,
        meta={"from": current.value, "to": target.value, "event_type": event_type, "event_id": event_id},
    )
    log.info("Organization %s subscription %s -> %s (%s)", org.slug, current.value, target.value, event_type)
    return "processed"
