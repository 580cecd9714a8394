"""Signing in lands on the last organization used (flow 7); the create-organization form (form 9)."""

from __future__ import annotations

from sqlmodel import select

from compliance_app.api.auth import DEFAULT_NEXT
from compliance_app.db import session_scope
from compliance_app.models import Membership, User
from compliance_app.pages.home import HomeState
from compliance_app.pages.orgs import OrgsState
from compliance_app.services import landing
from tests.factories import actor_for, add_member, make_org, make_user
from tests.first_hour.conftest import page_state
from tests.support.handlers import call


def test_sign_in_goes_to_home_which_forwards_to_the_last_organization_used(db, monkeypatch):
    assert DEFAULT_NEXT == "/"
    user = make_user()
    assert landing.landing_path(actor_for(user)) == "/orgs"
    zeta = make_org(user, slug="zeta", name="Zeta")
    alpha = make_org(user, slug="alpha", name="Alpha")
    assert landing.landing_path(actor_for(user)) == "/o/alpha", "first by name until one is used"
    landing.remember_organization(actor_for(user), zeta.id)
    assert landing.landing_path(actor_for(user)) == "/o/zeta"
    state = page_state(monkeypatch, HomeState, actor_for(user))
    assert "/o/zeta" in str(call(HomeState.load, state))
    # Removed from the organization: land on another one, not on a "not found".
    with session_scope() as s:
        s.delete(s.exec(select(Membership).where(Membership.user_id == user.id,
                                                 Membership.organization_id == zeta.id)).one())
    assert landing.landing_path(actor_for(user)) == f"/o/{alpha.slug}"


def test_opening_an_organization_page_remembers_it(db, monkeypatch):
    from compliance_app.pages.audits import AuditsState

    user = make_user()
    make_org(user, slug="first", name="A first")
    other = make_org(make_user(), slug="second", name="B second")
    add_member(other, user)
    state = page_state(monkeypatch, AuditsState, actor_for(user))
    monkeypatch.setattr(AuditsState, "_slug_from_url", lambda self: "second")
    call(AuditsState.load, state)
    assert state.org_found
    with session_scope() as s:
        assert s.get(User, user.id).last_organization_id == other.id


def test_the_create_form_starts_empty_and_the_slug_follows_the_name_again_once_cleared(db, monkeypatch):
    user = make_user()
    state = page_state(monkeypatch, OrgsState, actor_for(user))
    state.name, state.slug, state.name_error = "Left over", "left-over", "old error"
    call(OrgsState.load, state)
    assert (state.name, state.slug, state.name_error, state.slug_edited) == ("", "", "", False)
    call(OrgsState.set_name, state, "Acme Inc")
    assert state.slug == "acme-inc"
    call(OrgsState.set_slug, state, "acme")
    call(OrgsState.set_name, state, "Acme Incorporated")
    assert state.slug == "acme", "a slug typed by hand is kept"
    call(OrgsState.set_slug, state, "")
    call(OrgsState.set_name, state, "Acme Group")
    assert state.slug == "acme-group", "clearing the slug hands it back to the name"
    redirect = call(OrgsState.create, state)
    assert "/o/acme-group" in str(redirect) and "/members" not in str(redirect)


def test_one_organizations_list_with_scores_and_plural_audit_counts(db, monkeypatch):
    user = make_user()
    make_org(user, slug="solo", name="Solo")
    state = page_state(monkeypatch, OrgsState, actor_for(user))
    call(OrgsState.load, state)
    assert [(c["slug"], c["audits"], c["score"]) for c in state.cards] == [("solo", "0 audits", "—")]


def test_the_create_form_reports_every_field_error_at_once(db, monkeypatch):
    state = page_state(monkeypatch, OrgsState, actor_for(make_user()))
    call(OrgsState.load, state)
    call(OrgsState.set_slug, state, "Not A Slug!")
    assert call(OrgsState.create, state) is None
    assert state.name_error == "Enter an organization name."
    assert state.slug_error.startswith("The slug may contain only")
