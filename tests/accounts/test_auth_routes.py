"""The sign-in routes as a browser (or an attacker's script) calls them."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from compliance_app.api import create_api
from compliance_app.api.auth import DEFAULT_NEXT, safe_next
from compliance_app.api.session_cookie import COOKIE_NAME
from compliance_app.db import session_scope
from compliance_app.models import UserSession
from compliance_app.models.types import utcnow
from compliance_app.services import accounts
from compliance_app.settings import get_settings
from tests.factories import DEFAULT_PASSWORD, make_user


@pytest.mark.parametrize(
    "value",
    ["/\t/evil.example", "/\n/evil.example", "/\r\n//evil.example", "/x\x00y", "/\x7f", "/a\x85b",
     "//evil.example", "/\\evil.example", "https://evil.example", "", None, "/login?next=/x"],
)  # fmt: skip
def test_safe_next_refuses_what_a_browser_could_read_as_another_site(value: str | None) -> None:
    assert safe_next(value) == DEFAULT_NEXT


def test_safe_next_keeps_local_paths() -> None:
    assert safe_next("/o/acme/audits?page=2") == "/o/acme/audits?page=2"


# --- the routes ---------------------------------------------------------------------------
OWN = {"origin": "http://testserver"}


def _client(peer: str = "203.0.113.5", **kwargs: object) -> TestClient:
    return TestClient(create_api(), follow_redirects=False, client=(peer, 50000), **kwargs)


def _login(client: TestClient, email: str, password: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.post("/api/auth/login", data={"email": email, "password": password},
                       headers=OWN if headers is None else headers)  # fmt: skip


def _session_ips(user_id: object) -> list[str | None]:
    with session_scope() as s:
        return list(s.exec(select(UserSession.ip_address).where(UserSession.user_id == user_id)).all())


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "null"},  # sandboxed frame, data: URL, a no-referrer page anywhere
        {"origin": "null", "sec-fetch-site": "same-origin"},
        {"origin": "https://evil.example", "sec-fetch-site": "cross-site"},
        {"origin": "http://testserver.evil.example"},
        {"origin": "https://sub.testserver", "sec-fetch-site": "same-site"},  # a sibling subdomain
        {"sec-fetch-site": "same-site"},
        {},  # neither Origin nor Fetch Metadata
    ],
)
def test_sign_in_posts_not_from_this_origin_are_refused(db: str, headers: dict[str, str]) -> None:
    user = make_user()
    response = _login(_client(), user.email, DEFAULT_PASSWORD, headers)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?error=")
    assert "set-cookie" not in response.headers


def test_sign_in_from_this_origin_works(db: str) -> None:
    user = make_user()
    response = _login(_client(), user.email, DEFAULT_PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert COOKIE_NAME in response.headers["set-cookie"]


def test_throttled_sign_in_says_when_to_retry(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    now = utcnow()
    monkeypatch.setattr(accounts, "utcnow", lambda: now)  # no time passes between the attempts
    user = make_user()
    client = _client()
    for _ in range(accounts.ACCOUNT_BACKOFF.free):
        assert "Invalid+email" in _login(client, user.email, "wrong password!").headers["location"]
    refused = _login(client, user.email, DEFAULT_PASSWORD)
    assert refused.status_code == 303 and "Too+many" in refused.headers["location"]
    assert 1 <= int(refused.headers["retry-after"]) <= accounts.MAX_WAIT


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    user = make_user()
    spoofed = {**OWN, "x-forwarded-for": "198.51.100.77"}
    assert _login(_client("203.0.113.5"), user.email, DEFAULT_PASSWORD, spoofed).status_code == 303
    assert _session_ips(user.id) == ["203.0.113.5"]

    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8")
    get_settings.cache_clear()
    try:
        # The client wrote the leftmost entry; our proxies (10.x) appended the rest.
        chain = {**OWN, "x-forwarded-for": "6.6.6.6, 198.51.100.9, 10.0.0.3"}
        client = _client("10.0.0.2")
        client.cookies.clear()
        assert _login(client, user.email, DEFAULT_PASSWORD, chain).status_code == 303
        # From an untrusted peer the header is still ignored.
        assert _login(_client("203.0.113.6"), user.email, DEFAULT_PASSWORD, spoofed).status_code == 303
    finally:
        get_settings.cache_clear()
    assert sorted(_session_ips(user.id)) == ["198.51.100.9", "203.0.113.5", "203.0.113.6"]


def test_rotating_forwarded_for_does_not_escape_the_client_throttle(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    now = utcnow()
    monkeypatch.setattr(accounts, "utcnow", lambda: now)
    client = _client("203.0.113.50")
    for i in range(accounts.CLIENT_BACKOFF.free):
        _login(client, f"guess{i}@example.com", "wrong password!", {**OWN, "x-forwarded-for": f"10.9.{i}.1"})
    refused = _login(client, "guess-next@example.com", "wrong password!", {**OWN, "x-forwarded-for": "10.1.1.1"})
    assert "retry-after" in refused.headers


def test_signing_in_revokes_this_browsers_previous_session(db: str) -> None:
    first, second = make_user(email="first@example.com"), make_user(email="second@example.com")
    client = _client()
    old = _login(client, first.email, DEFAULT_PASSWORD).cookies[COOKIE_NAME]
    client.cookies.set(COOKIE_NAME, old)
    new = _login(client, second.email, DEFAULT_PASSWORD).cookies[COOKIE_NAME]
    assert accounts.resolve_session(old) is None
    assert accounts.resolve_session(new).id == second.id


def test_sign_up_is_throttled_per_client_with_retry_after(db: str) -> None:
    client = _client("203.0.113.80")
    for i in range(accounts.SIGNUP_QUOTA.limit):
        client.cookies.clear()
        response = client.post("/api/auth/signup", headers=OWN,
                               data={"email": f"n{i}@example.com", "password": DEFAULT_PASSWORD})  # fmt: skip
        assert response.headers["location"] == "/"
    refused = client.post("/api/auth/signup", headers=OWN,
                          data={"email": "x@example.com", "password": DEFAULT_PASSWORD})  # fmt: skip
    assert "Too+many+sign-ups" in refused.headers["location"] and int(refused.headers["retry-after"]) > 3000
