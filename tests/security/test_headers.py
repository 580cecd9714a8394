"""The security headers every response carries, and the session cookie behind https."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from compliance_app import security_headers
from compliance_app.api import create_api
from compliance_app.api.session_cookie import HOST_COOKIE_NAME
from compliance_app.security_headers import SecurityHeaders, script_hashes
from compliance_app.settings import get_settings
from tests.factories import DEFAULT_PASSWORD, make_user


@pytest.fixture
def https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_URL", "https://compliance.example.com")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_every_response_gets_the_headers(db: str) -> None:
    client = TestClient(SecurityHeaders(create_api()))
    for path in ("/api/health", "/api/public/snapshots/nope", "/api/auth/logout", "/no-such-path"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "'unsafe-inline'" not in csp.split(
            "style-src")[0], path
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in headers  # APP_URL is http here
    assert client.get("/api/health").headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert client.get("/api/public/snapshots/nope").headers["referrer-policy"] == "no-referrer"
    assert client.get("/share/abc").headers["referrer-policy"] == "no-referrer"
    # An invitation page's sign-up form (reached by client-side navigation) must post with an Origin.
    assert client.get("/invite/abc").headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_hsts_and_host_prefixed_secure_cookie_behind_https(db: str, https: None) -> None:
    client = TestClient(SecurityHeaders(create_api()), base_url="https://compliance.example.com",
                        follow_redirects=False)  # fmt: skip
    assert client.get("/api/health").headers["strict-transport-security"].startswith("max-age=31536000")
    user = make_user()
    response = client.post("/api/auth/login", data={"email": user.email, "password": DEFAULT_PASSWORD},
                           headers={"origin": "https://compliance.example.com"})  # fmt: skip
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{HOST_COOKIE_NAME}=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie and "HttpOnly" in cookie


def test_pages_may_run_only_inline_scripts_that_the_build_contains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = b"<html><script>window.__ctx = 1;</script><script src='/a.js'></script></html>"
    (tmp_path / "page.html").write_bytes(built)
    monkeypatch.setattr(security_headers, "_build_hashes", frozenset())
    assert security_headers.built_script_hashes(tmp_path) == frozenset(script_hashes(built))
    injected = built.replace(b"</html>", b"<script>steal()</script></html>")
    app = SecurityHeaders(Starlette(routes=[Route("/p", lambda _r: HTMLResponse(injected))]))
    csp = TestClient(app).get("/p").headers["content-security-policy"]
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert script_src == f"script-src 'self' 'unsafe-eval' {script_hashes(built)[0]}"
    assert script_hashes(b"<script>steal()</script>")[0] not in csp
