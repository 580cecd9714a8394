"""Single sign-on through the loopback identity provider, as a browser follows the redirects."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from compliance_app.api import create_api
from compliance_app.api.session_cookie import COOKIE_NAME
from compliance_app.api.sso import STATE_COOKIE
from compliance_app.db import session_scope
from compliance_app.models import ActivityLog, Membership, Role, SsoLoginRequest, User
from compliance_app.services import accounts
from compliance_app.settings import get_settings
from tests.factories import make_user
from tests.support.oidc_provider import CLIENT_ID, Provider

OWN = {"origin": "http://testserver"}


def _client() -> TestClient:
    return TestClient(create_api(), follow_redirects=False, client=("203.0.113.7", 50000))


def _to_provider(client: TestClient, next_path: str = "/o/acme") -> str:
    """Start at the app; returns the callback URL (path and query) the provider sends the browser to."""
    start = client.get("/api/auth/sso/login", params={"next": next_path})
    assert start.status_code == 303, start.headers.get("location")
    answer = httpx.get(start.headers["location"], follow_redirects=False)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["location"])
    return f"{back.path}?{back.query}"


def _sign_in(client: TestClient, next_path: str = "/o/acme") -> httpx.Response:
    return client.get(_to_provider(client, next_path))


def _error(response: httpx.Response) -> str:
    assert response.status_code == 303 and response.headers["location"].startswith("/login?")
    assert COOKIE_NAME not in response.headers.get("set-cookie", "").split("=")[0]
    return parse_qs(urlsplit(response.headers["location"]).query)["error"][0]


def _session_user(response: httpx.Response) -> User | None:
    cookie = response.cookies.get(COOKIE_NAME)
    return accounts.resolve_session(cookie) if cookie else None


def test_sign_in_with_a_verified_email_opens_a_session(idp: Provider) -> None:
    user = make_user(email="ada@acme.example")
    response = _sign_in(_client())
    assert response.status_code == 303 and response.headers["location"] == "/o/acme"
    signed_in = _session_user(response)
    assert signed_in is not None and signed_in.id == user.id
    # The request carried PKCE (S256) and a nonce; the state cookie is cleared after use.
    asked = idp.authorizations[-1]
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) >= 43 and asked["nonce"]
    assert asked["redirect_uri"].endswith("/api/auth/sso/callback") and asked["scope"] == "openid email profile"
    assert f'{STATE_COOKIE}=""' in response.headers["set-cookie"]
    with session_scope() as s:
        linked = s.get(User, user.id)
        assert linked is not None and linked.sso_subject == idp.person.sub
        assert s.exec(select(SsoLoginRequest)).all() == []
        actions = s.exec(select(ActivityLog.action).where(ActivityLog.actor_id == user.id)).all()
    assert "user.login_sso" in actions


def test_the_client_secret_never_reaches_the_browser(idp: Provider) -> None:
    make_user(email="ada@acme.example")
    client = _client()
    start = client.get("/api/auth/sso/login")
    secret = get_settings().oidc_client_secret
    assert secret not in start.headers["location"] and secret not in start.text


@pytest.mark.parametrize(
    ("knob", "expected"),
    [
        ({"overrides": {"aud": "another-app"}}, "audience"),
        ({"overrides": {"aud": [CLIENT_ID, "x"], "azp": "x"}}, "authorized party"),
        ({"overrides": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}}, "expired"),
        ({"overrides": {"iss": "https://evil.example"}}, "issuer"),
        ({"foreign_key": True}, "signature does not verify"),
        ({"omit_nonce": True}, "has no nonce"),
        ({"overrides": {"nonce": "not-this-sign-in"}}, "nonce"),
    ],
)
def test_an_id_token_that_fails_verification_signs_nobody_in(idp: Provider, knob: dict, expected: str) -> None:
    make_user(email="ada@acme.example")
    for name, value in knob.items():
        setattr(idp, name, value)
    message = _error(_sign_in(_client()))
    assert expected in message, message
    with session_scope() as s:
        assert s.exec(select(User.sso_subject)).all() == [None]


def test_a_replayed_state_is_refused(idp: Provider) -> None:
    make_user(email="ada@acme.example")
    client = _client()
    callback = _to_provider(client)
    state_cookie = client.cookies.get(STATE_COOKIE)
    assert client.get(callback).status_code == 303
    client.cookies.set(STATE_COOKIE, state_cookie or "", path="/api/auth/sso/callback")
    message = _error(client.get(callback))
    assert "expired or was already used" in message
    assert idp.token_requests == 1  # the replay never reached the provider


def test_a_callback_in_another_browser_is_refused(idp: Provider) -> None:
    """Login CSRF: an attacker's own code and state, delivered to the victim's browser."""
    make_user(email="ada@acme.example")
    callback = _to_provider(_client())
    message = _error(_client().get(callback))
    assert "not started in this browser" in message
    assert idp.token_requests == 0


def test_an_expired_sign_in_is_refused(idp: Provider) -> None:
    make_user(email="ada@acme.example")
    client = _client()
    callback = _to_provider(client)
    with session_scope() as s:
        for row in s.exec(select(SsoLoginRequest)).all():
            row.expires_at = row.created_at
    assert "expired or was already used" in _error(client.get(callback))


@pytest.mark.parametrize("verified", [False, "false", None])
def test_an_unverified_email_is_refused(idp: Provider, verified: object) -> None:
    make_user(email="ada@acme.example")
    idp.person.email_verified = verified
    assert "has not verified ada@acme.example" in _error(_sign_in(_client()))


def test_an_unknown_email_is_refused_unless_accounts_are_created(
    idp: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "No account uses ada@acme.example" in _error(_sign_in(_client()))
    monkeypatch.setenv("OIDC_CREATE_USERS", "true")
    get_settings.cache_clear()
    response = _sign_in(_client())
    user = _session_user(response)
    assert user is not None and user.email == "ada@acme.example" and user.name == "Pat Example"


def test_another_subject_with_the_same_email_is_refused(idp: Provider) -> None:
    make_user(email="ada@acme.example")
    assert _sign_in(_client()).status_code == 303
    idp.person.sub = "someone-else-now"
    assert "linked to another identity" in _error(_sign_in(_client()))


def test_a_provider_error_is_shown(idp: Provider) -> None:
    message = _error(_client().get("/api/auth/sso/callback", params={"error": "access_denied",
                                                                       "error_description": "User cancelled"}))
    assert "User cancelled" in message


def test_without_configuration_the_routes_say_so(db: str) -> None:
    assert "not configured" in _error(_client().get("/api/auth/sso/login"))


def test_domain_rule_adds_membership_on_first_sign_in(idp: Provider) -> None:
    from compliance_app.services import sso_domains
    from compliance_app.services.authz import Actor
    from tests.factories import make_org

    org = make_org(slug="acme", name="Acme")
    other = make_org(slug="other", name="Other")
    sso_domains.add_domain_rule(Actor.system(), org.id, "ACME.example", "member")
    sso_domains.add_domain_rule(Actor.system(), other.id, "elsewhere.example", "admin")
    user = make_user(email="ada@acme.example")
    assert _sign_in(_client()).status_code == 303
    with session_scope() as s:
        rows = s.exec(select(Membership.organization_id, Membership.role).where(Membership.user_id == user.id)).all()
        assert [(r[0], r[1]) for r in rows] == [(org.id, Role.MEMBER)]
        logged = s.exec(select(ActivityLog).where(ActivityLog.action == "member.added_by_domain_rule")).one()
        assert logged.organization_id == org.id and logged.meta == {"domain": "acme.example", "role": "member"}


def test_a_wrong_pkce_verifier_is_refused_by_the_provider(idp: Provider) -> None:
    """The verifier stays on the server; one that does not match the challenge gets no token."""
    make_user(email="ada@acme.example")
    client = _client()
    callback = _to_provider(client)
    with session_scope() as s:
        for row in s.exec(select(SsoLoginRequest)).all():
            row.code_verifier = "x" * 64
    assert "refused the sign-in (invalid_grant)" in _error(client.get(callback))
    assert idp.token_requests == 1
