"""The billing page's state, driven directly (no browser): what an admin and a member see."""

from __future__ import annotations

import pytest
import reflex as rx

from compliance_app.models import Role
from compliance_app.pages.billing import BillingState, billing_page
from compliance_app.services.authz import Actor
from tests.factories import actor_for, add_member, make_org, make_user
from tests.support.handlers import call


def state_for(monkeypatch: pytest.MonkeyPatch, actor: Actor, org_id: str) -> BillingState:
    """A BillingState whose signed-in user is `actor` (cookie resolution is the accounts area's)."""
    monkeypatch.setattr(BillingState, "_actor", lambda self: actor)
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(BillingState.get_full_name().split(".")[1:])
    state._org_id = org_id
    return state


def test_admin_sees_free_plan_limits_and_cannot_pick_hourly(billing_on, db, monkeypatch):
    owner = make_user()
    org = make_org(owner)
    state = state_for(monkeypatch, actor_for(owner), str(org.id))
    state._refresh()
    assert (state.allowed, state.plan_name, state.subscription_status) == (True, "Free", "free")
    assert state.can_upgrade and not state.has_billing_account
    assert "hourly" not in state.frequencies
    assert {r["label"]: r["limit"] for r in state.limits}["GitHub integrations"] == "1"
    call(BillingState.set_frequency, state, "hourly")
    assert "Free plan" in state.error
    call(BillingState.set_frequency, state, "weekly")
    assert (state.error, state.scan_frequency) == ("", "weekly")


def test_member_is_told_billing_is_for_admins(billing_on, db, monkeypatch):
    org = make_org()
    member = add_member(org, role=Role.MEMBER)
    state = state_for(monkeypatch, actor_for(member), str(org.id))
    state._refresh()
    assert (state.loaded, state.allowed) == (True, False)


def test_billing_off_page_says_not_configured(billing_off, db, monkeypatch):
    owner = make_user()
    org = make_org(owner)
    state = state_for(monkeypatch, actor_for(owner), str(org.id))
    state._refresh()
    assert state.billing_enabled is False
    assert not state.can_upgrade
    assert "hourly" in state.frequencies
    rendered = str(billing_page().render())
    assert "Billing is not configured on this installation" in rendered
    assert "every organization has all features" in rendered


def test_who_may_upgrade_is_the_service_s_rule(billing_on, db):
    from compliance_app.db import session_scope
    from compliance_app.models import Organization, SubscriptionStatus
    from compliance_app.services import billing

    owner = make_user()
    org = make_org(owner)
    assert billing.get_billing_overview(actor_for(owner), org.id).can_upgrade
    for status, allowed in ((SubscriptionStatus.ACTIVE, False), (SubscriptionStatus.PAST_DUE, False),
                            (SubscriptionStatus.CANCELED, True)):
        with session_scope() as s:
            s.get(Organization, org.id).subscription_status = status
        assert billing.get_billing_overview(actor_for(owner), org.id).can_upgrade is allowed, status
