"""Signing out is a same-site POST: another site can neither GET nor post the user out."""

from __future__ import annotations

from starlette.testclient import TestClient

from compliance_app.api import create_api
from compliance_app.api.session_cookie import COOKIE_NAME
from compliance_app.services import accounts
from tests.factories import DEFAULT_PASSWORD, make_user


def _signed_in() -> tuple[TestClient, str]:
    user = make_user(email="leaving@example.com")
    _user, token = accounts.authenticate(user.email, DEFAULT_PASSWORD, "logout-tests")
    client = TestClient(create_api(), follow_redirects=False)
    client.cookies.set(COOKIE_NAME, token)
    return client, token


def test_get_shows_a_confirm_button_and_keeps_the_session(db: str) -> None:
    client, token = _signed_in()
    response = client.get("/api/auth/logout")
    assert response.status_code == 200 and "set-cookie" not in response.headers
    assert '<form method="post" action="/api/auth/logout">' in response.text
    assert "no-referrer" not in response.text  # its post must carry this page's Origin to be accepted
    assert accounts.resolve_session(token) is not None


def test_cross_site_post_is_refused_and_keeps_the_session(db: str) -> None:
    client, token = _signed_in()
    for headers in ({"sec-fetch-site": "cross-site", "origin": "null"}, {"origin": "https://evil.example"},
                    {"sec-fetch-site": "same-origin", "origin": "null"}, {"sec-fetch-site": "same-site"}):
        response = client.post("/api/auth/logout", headers=headers)
        assert response.status_code == 303 and response.headers["location"] == "/"
        assert "set-cookie" not in response.headers
        assert accounts.resolve_session(token) is not None


def test_same_site_post_signs_out(db: str) -> None:
    client, token = _signed_in()
    response = client.post("/api/auth/logout",
                           headers={"sec-fetch-site": "same-origin", "origin": "http://testserver"})
    assert response.status_code == 303 and response.headers["location"].startswith("/login?notice=")
    assert f'{COOKIE_NAME}=""' in response.headers["set-cookie"] and "Max-Age=0" in response.headers["set-cookie"]
    assert accounts.resolve_session(token) is None
