"""The built frontend under the security headers, in Chromium: every main page renders,
its websocket connects, and the browser reports no Content-Security-Policy violation.

Also what another origin gets: no CORS grant on the API, no websocket handshake.
"""

from __future__ import annotations

import base64
import os
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from compliance_app.models import Role
from compliance_app.services import shares, snapshots
from tests.conftest import login, wait_for_app_hydration
from tests.factories import DEFAULT_PASSWORD, actor_for, add_member, make_org, make_user
from tests.snapshots.factory import make_completed_audit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT = 30_000


def _violations(messages: list[str]) -> list[str]:
    return [m for m in messages if "Content Security Policy" in m or "Refused to" in m]


def test_main_pages_satisfy_the_content_security_policy(live_app: str, chromium, db: str) -> None:
    owner = make_user(name="Ada Admin")
    org = make_org(owner, name="Acme Corp")
    add_member(org, role=Role.VIEWER)
    audit = make_completed_audit(org, approver=owner)
    snapshot = snapshots.create_snapshot(actor_for(owner), audit.id)
    _link, token = shares.create_link(actor_for(owner), snapshot.id)
    org_pages = ["", "/audits", f"/audits/{audit.id}", "/snapshots", "/members", "/integrations", "/activity"]
    pages = ["/login", "/signup", "/orgs", *(f"/o/{org.slug}{p}" for p in org_pages), "/account", f"/share/{token}"]
    context = chromium.new_context(base_url=live_app)
    try:
        login(context, live_app, owner.email, DEFAULT_PASSWORD)
        page = context.new_page()
        messages: list[str] = []
        page.on("console", lambda m: messages.append(f"{page.url}: {m.text}"))
        page.on("pageerror", lambda e: messages.append(f"{page.url}: {e}"))
        for path in pages:
            response = page.goto(path)
            assert response is not None and response.ok, path
            csp = response.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
            assert response.headers["x-content-type-options"] == "nosniff"
            expected = "no-referrer" if path.startswith("/share/") else "strict-origin-when-cross-origin"
            assert response.headers["referrer-policy"] == expected, path
            wait_for_app_hydration(page)
            page.locator("body").wait_for(timeout=TIMEOUT)
        assert _violations(messages) == [], "\n".join(messages)
        page.goto(f"/o/{org.slug}")
        wait_for_app_hydration(page)
        try:
            page.get_by_text("Acme Corp").first.wait_for(timeout=TIMEOUT)  # state arrived over the websocket
        except Exception:
            raise AssertionError("\n".join(messages) + "\n----\n" + page.inner_text("body")[:2000]) from None
        assert _violations(messages) == [], "\n".join(messages)
    finally:
        context.close()


def test_other_origins_get_no_cors_grant_and_no_websocket(live_app: str) -> None:
    evil = {"origin": "https://evil.example"}
    response = httpx.get(f"{live_app}/api/health", headers=evil)
    assert "access-control-allow-origin" not in response.headers
    preflight = httpx.options(f"{live_app}/api/health", headers={**evil, "access-control-request-method": "GET"})
    assert preflight.headers.get("access-control-allow-origin") != "https://evil.example"
    own = httpx.get(f"{live_app}/api/health", headers={"origin": live_app})
    assert own.headers.get("access-control-allow-origin") == live_app
    # The event websocket: another origin's handshake is refused, the app's own is upgraded.
    assert _websocket_status(live_app, "https://evil.example") != 101
    assert _websocket_status(live_app, live_app) == 101


def _websocket_status(base_url: str, origin: str) -> int:
    """Status of a raw websocket upgrade of Reflex's /_event endpoint sent with this Origin."""
    parts = urlsplit(base_url)
    request = (
        "GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\nOrigin: {origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request.encode())
        status_line = sock.recv(4096).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])
