"""Billing services: checkout creates the customer once, permissions, scan frequency."""

from __future__ import annotations

import pytest
from sqlmodel import select

from compliance_app.db import session_scope
from compliance_app.models import ActivityLog, Organization, Role, ScanFrequency, SubscriptionStatus
from compliance_app.services import billing
from compliance_app.services.errors import (
    Conflict,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from tests.billing.conftest import PRICE_ID, FakeGateway
from tests.factories import actor_for, add_member, make_org, make_user


@pytest.fixture
def owner(db: str):
    return make_user()


@pytest.fixture
def org(owner) -> Organization:
    return make_org(owner)


def stored(org: Organization) -> Organization:
    with session_scope() as s:
        return s.get(Organization, org.id)


def test_checkout_creates_customer_once_and_stores_it(billing_on, owner, org, gateway: FakeGateway):
    actor = actor_for(owner)
    url = billing.start_checkout(actor, org.id, gateway)
    assert url == "https://checkout.example/cus_1"
    assert stored(org).stripe_customer_id == "cus_1"
    billing.start_checkout(actor, org.id, gateway)
    assert [c[0] for c in gateway.calls] == ["create_customer", "checkout", "checkout"]
    customer, price, success, cancel, reference = gateway.calls[2][1]
    assert (customer, price, reference) == ("cus_1", PRICE_ID, str(org.id))
    assert success.endswith(f"/o/{org.slug}/billing?checkout=success")
    assert cancel.endswith(f"/o/{org.slug}/billing?checkout=canceled")


def test_checkout_refused_when_already_subscribed(billing_on, owner, org, gateway):
    with session_scope() as s:
        row = s.get(Organization, org.id)
        row.subscription_status = SubscriptionStatus.ACTIVE
        s.add(row)
    with pytest.raises(Conflict, match="Manage billing"):
        billing.start_checkout(actor_for(owner), org.id, gateway)
    assert gateway.calls == []


def test_portal_needs_a_customer(billing_on, owner, org, gateway):
    actor = actor_for(owner)
    with pytest.raises(ValidationError, match="Upgrade first"):
        billing.open_portal(actor, org.id, gateway)
    billing.start_checkout(actor, org.id, gateway)
    assert billing.open_portal(actor, org.id, gateway) == "https://portal.example/cus_1"
    assert gateway.calls[-1][1][1].endswith(f"/o/{org.slug}/billing")


def test_billing_off_refuses_checkout_and_says_why(billing_off, owner, org, gateway):
    with pytest.raises(billing.BillingNotConfigured, match="not configured"):
        billing.start_checkout(actor_for(owner), org.id, gateway)
    overview = billing.get_billing_overview(actor_for(owner), org.id)
    assert overview.billing_enabled is False
    assert overview.plan.name == "Self-hosted"


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_member_and_viewer_cannot_manage_billing(billing_on, org, gateway, role):
    actor = actor_for(add_member(org, role=role))
    with pytest.raises(PermissionDenied):
        billing.get_billing_overview(actor, org.id)
    with pytest.raises(PermissionDenied):
        billing.start_checkout(actor, org.id, gateway)
    with pytest.raises(PermissionDenied):
        billing.open_portal(actor, org.id, gateway)
    with pytest.raises(PermissionDenied):
        billing.set_scan_frequency(actor, org.id, ScanFrequency.WEEKLY)
    assert gateway.calls == []
    assert stored(org).stripe_customer_id is None


def test_other_organization_is_not_found(billing_on, org, gateway):
    stranger = actor_for(make_user())
    with pytest.raises(NotFound):
        billing.get_billing_overview(stranger, org.id)
    with pytest.raises(NotFound):
        billing.start_checkout(stranger, org.id, gateway)
    assert gateway.calls == []


def test_overview_shows_plan_and_usage(billing_on, owner, org):
    overview = billing.get_billing_overview(actor_for(owner), org.id)
    assert (overview.plan.name, overview.subscription_status) == ("Free", "free")
    assert (overview.plan.github_integrations, overview.plan.active_public_links) == (1, 3)
    assert (overview.github_integrations, overview.aws_integrations, overview.active_public_links) == (
        0,
        0,
        0,
    )
    assert overview.has_billing_account is False


def test_scan_frequency_validated_against_plan(billing_on, owner, org):
    actor = actor_for(owner)
    with pytest.raises(LimitExceeded, match="Free plan"):
        billing.set_scan_frequency(actor, org.id, "hourly")
    assert stored(org).scan_frequency == ScanFrequency.DAILY
    with pytest.raises(ValidationError, match="Unknown scan frequency"):
        billing.set_scan_frequency(actor, org.id, "every minute")
    assert billing.set_scan_frequency(actor, org.id, "weekly") == ScanFrequency.WEEKLY
    assert stored(org).scan_frequency == ScanFrequency.WEEKLY
    with session_scope() as s:
        entry = s.exec(select(ActivityLog).where(ActivityLog.action == "organization.scan_frequency_changed")).one()
        assert entry.meta == {"from": "daily", "to": "weekly"}
