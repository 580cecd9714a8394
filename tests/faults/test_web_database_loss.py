"""PostgreSQL unavailable while people use the web app.

The app runs in production mode against the test database through a loopback TCP proxy
(tests/support/tcp_proxy.py; the shared server is never stopped). A signed-in user has the
dashboard open, speaking Reflex's websocket protocol as the page does (tests/support/reflex_client).
The proxy drops every connection and refuses new ones: /api/health answers 503, and a page
loaded meanwhile says "the database is unavailable, retrying" (DatabaseState.unavailable, shown
by components/layout.database_notice) instead of failing. The proxy comes back: without the user
doing anything, the page clears the message and shows its data, and /api/health answers 200.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from compliance_app.commands.serve import stop_process_group
from tests.factories import DEFAULT_PASSWORD, make_org, make_user
from tests.support.live_app import start_app
from tests.support.reflex_client import Tab, var
from tests.support.tcp_proxy import TcpProxy

#: The page must notice the database is back within this (backoff is capped at 5 s).
RECOVERY_SECONDS = 20


def _dashboard_loaded(delta: dict) -> bool:
    return var(delta, "dashboard_state", "loaded") is True


async def _scenario(base_url: str, cookie: str, slug: str, proxy: TcpProxy) -> dict[str, float]:
    tab = Tab(base_url, cookie, timeout=30)
    page = (f"/o/{slug}", {"slug": slug})
    timings: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=15) as http:
        try:
            await tab.open(*page)
            await tab.wait(_dashboard_loaded)

            proxy.cut()
            assert (await http.get("/api/health")).status_code == 503

            # A page loaded while the database is away: the message, not a traceback or a blank page.
            await tab.open(*page)
            down = await tab.wait(lambda d: var(d, "database_state", "unavailable") is True, timeout=30)
            assert var(down, "dashboard_state", "loaded") is not True
            await asyncio.sleep(2)  # a few retries fail meanwhile; the page keeps saying so
            assert (await http.get("/api/health")).status_code == 503

            proxy.restore()
            back = time.monotonic()
            await tab.wait(lambda d: var(d, "database_state", "unavailable") is False, timeout=RECOVERY_SECONDS)
            await tab.wait(_dashboard_loaded, timeout=RECOVERY_SECONDS)
            timings["recovered_after"] = time.monotonic() - back
            assert (await http.get("/api/health")).status_code == 200

            # And the page works as before: an action after recovery is answered.
            await tab.open(*page)
            await tab.wait(_dashboard_loaded)
        finally:
            await tab.close()
    return timings


def test_pages_say_the_database_is_unavailable_and_recover_by_themselves(db: str, tmp_path: Path) -> None:
    owner = make_user(email="dba-outage@example.com")
    org = make_org(owner, slug="outage")
    with TcpProxy(make_url(db).port or 5432) as proxy:
        through_proxy = make_url(db).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        proc, base_url = start_app(through_proxy, tmp_path)
        try:
            login = httpx.post(f"{base_url}/api/auth/login", headers={"Origin": base_url},
                               data={"email": owner.email, "password": DEFAULT_PASSWORD}, timeout=60)
            assert login.status_code == 303, login.text
            from compliance_app.api.session_cookie import session_cookie_name

            cookie = f"{session_cookie_name()}={login.cookies[session_cookie_name()]}"
            timings = asyncio.run(_scenario(base_url, cookie, org.slug, proxy))
        finally:
            stop_process_group(proc, timeout=20)
    assert timings["recovered_after"] < RECOVERY_SECONDS
    log = (tmp_path / "reflex.log").read_text()
    assert "Traceback" not in log, log[-3000:]
