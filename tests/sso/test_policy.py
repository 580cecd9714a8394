"""Organizations that require single sign-on, and their email-domain rules."""

from __future__ import annotations

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from compliance_app.api import create_api
from compliance_app.db import session_scope
from compliance_app.models import ActivityLog, Organization, Role, SsoDomainRule, User
from compliance_app.services import accounts, api_tokens, sso_domains
from compliance_app.services.authz import Actor
from compliance_app.services.errors import (
    AuthenticationRequired,
    Conflict,
    PermissionDenied,
    ValidationError,
)
from compliance_app.settings import get_settings
from tests.factories import DEFAULT_PASSWORD, actor_for, add_member, make_org, make_user
from tests.support.oidc_provider import Provider


def _link(user: User, subject: str = "sub-linked") -> None:
    with session_scope() as s:
        row = s.get(User, user.id)
        assert row is not None
        row.sso_subject = subject


def test_required_sso_refuses_password_sign_in_with_a_clear_message(idp: Provider) -> None:
    admin = make_user(email="admin@acme.example")
    org = make_org(owner=admin, slug="acme", name="Acme")
    member = add_member(org, make_user(email="bob@acme.example"), Role.MEMBER)
    outsider = make_user(email="eve@elsewhere.example")
    _info, token = api_tokens.create_token(Actor.system(), org.slug, "CI", "read")
    _link(admin)
    sso_domains.set_require_sso(actor_for(admin), org.id, True)

    with pytest.raises(AuthenticationRequired) as refused:
        accounts.authenticate(member.email, DEFAULT_PASSWORD, "203.0.113.9")
    assert refused.value.message == "Acme requires single sign-on: use “Sign in with Acme ID” instead of a password."
    # A wrong password still gets the usual answer: the refusal says nothing to someone guessing.
    with pytest.raises(AuthenticationRequired, match="Invalid email or password"):
        accounts.authenticate(member.email, "not the password!", "203.0.113.9")
    # Others sign in as before; the organization's API tokens keep working.
    assert accounts.authenticate(outsider.email, DEFAULT_PASSWORD, "203.0.113.9")[0].id == outsider.id
    caller = api_tokens.authenticate_token(token, "203.0.113.9", rate_limit=100)
    assert [o.id for o in api_tokens.token_organizations(caller)] == [org.id]
    with session_scope() as s:
        actions = s.exec(select(ActivityLog.action).order_by(ActivityLog.id)).all()
    assert "sso.required" in actions and "user.login_sso_required" in actions



def test_the_password_form_shows_the_refusal(idp: Provider) -> None:
    admin = make_user(email="admin@acme.example")
    org = make_org(owner=admin, slug="acme", name="Acme")
    with session_scope() as s:
        row = s.get(Organization, org.id)
        assert row is not None
        row.require_sso = True
    client = TestClient(create_api(), follow_redirects=False)
    response = client.post("/api/auth/login", data={"email": admin.email, "password": DEFAULT_PASSWORD},
                           headers={"origin": "http://testserver"})  # fmt: skip
    assert response.status_code == 303 and "requires+single+sign-on" in response.headers["location"]
    assert "set-cookie" not in response.headers


def test_requirement_rests_while_sso_is_not_configured(db: str) -> None:
    admin = make_user(email="admin@acme.example")
    org = make_org(owner=admin, slug="acme", name="Acme")
    with session_scope() as s:
        row = s.get(Organization, org.id)
        assert row is not None
        row.require_sso = True
    assert accounts.authenticate(admin.email, DEFAULT_PASSWORD, "203.0.113.9")[0].id == admin.id


def test_requiring_sso_needs_it_configured_and_used_once(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = make_user(email="admin@acme.example")
    org = make_org(owner=admin, slug="acme", name="Acme")
    with pytest.raises(Conflict, match="not configured on this server"):
        sso_domains.set_require_sso(actor_for(admin), org.id, True)
    monkeypatch.setenv("OIDC_ISSUER", "https://id.acme.example")
    monkeypatch.setenv("OIDC_CLIENT_ID", "app")
    get_settings.cache_clear()
    try:
        with pytest.raises(Conflict, match="before requiring it"):
            sso_domains.set_require_sso(actor_for(admin), org.id, True)
        _link(admin)
        sso_domains.set_require_sso(actor_for(admin), org.id, True)
        assert sso_domains.get_sso_settings(actor_for(admin), org.id).require_sso is True
        sso_domains.set_require_sso(actor_for(admin), org.id, False)
        assert sso_domains.get_sso_settings(actor_for(admin), org.id).require_sso is False
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("domain", "message"),
    [("", "Enter an email domain"), ("acme", "is not an email domain"), ("acme..example", "is not an email domain"),
     ("-acme.example", "is not an email domain"), ("a" * 300 + ".example", "is not an email domain"),
     ("acme.example/x", "is not an email domain"), ("xn--\x00.example", "is not an email domain")],
)  # fmt: skip
def test_bad_domains_are_refused_and_nothing_is_stored(db: str, domain: str, message: str) -> None:
    org = make_org(slug="acme", name="Acme")
    with pytest.raises(ValidationError, match=message):
        sso_domains.add_domain_rule(Actor.system(), org.id, domain, "member")
    with pytest.raises(ValidationError, match="is not a role"):
        sso_domains.add_domain_rule(Actor.system(), org.id, "acme.example", "owner")
    with session_scope() as s:
        assert s.exec(select(SsoDomainRule)).all() == []


def test_admins_claim_only_their_own_domain_and_each_once(db: str) -> None:
    admin = make_user(email="admin@acme.example")
    org = make_org(owner=admin, slug="acme", name="Acme")
    with pytest.raises(PermissionDenied, match="only your own email's domain"):
        sso_domains.add_domain_rule(actor_for(admin), org.id, "gmail.com", "viewer")
    rule = sso_domains.add_domain_rule(actor_for(admin), org.id, "@Acme.Example", "viewer")
    assert (rule.domain, rule.role) == ("acme.example", "viewer")
    with pytest.raises(Conflict, match="already has a rule"):
        sso_domains.add_domain_rule(Actor.system(), org.id, "acme.example", "admin")
    sso_domains.add_domain_rule(Actor.system(), org.id, "acme-labs.example", "member")  # the operator: any domain
    assert [r.domain for r in sso_domains.get_sso_settings(actor_for(admin), org.id).rules] == [
        "acme-labs.example", "acme.example"]
    sso_domains.remove_domain_rule(actor_for(admin), org.id, rule.id)
    assert [r.domain for r in sso_domains.get_sso_settings(actor_for(admin), org.id).rules] == ["acme-labs.example"]
