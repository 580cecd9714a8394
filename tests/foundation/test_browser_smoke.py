"""Smoke: the production build signs in to the demo dashboard and lists the demo organization."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance_app.services.demo import DEMO_EMAIL, DEMO_ORG_NAME, DEMO_ORG_SLUG, DEMO_PASSWORD, seed_demo
from tests.conftest import login, wait_for_app_hydration

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_home_page_shows_demo_organization(live_app: str, chromium, db: str, tmp_path: Path) -> None:
    seed_demo()
    context = chromium.new_context(base_url=live_app)
    try:
        page = context.new_page()
        # Signed-out visitors are sent to the login page.
        page.goto("/")
        page.wait_for_url("**/login**", timeout=30_000)
        # The login route sets the HttpOnly session cookie and redirects home (a full load).
        login(context, live_app, DEMO_EMAIL, DEMO_PASSWORD)
        page.goto("/")
        page.wait_for_url(f"**/o/{DEMO_ORG_SLUG}", timeout=30_000)  # the organization used last (or first)
        page.goto("/orgs")
        wait_for_app_hydration(page)
        page.get_by_text(DEMO_ORG_NAME).first.wait_for(timeout=30_000)
        assert page.locator(".org-score").first.inner_text().strip() not in ("", "—")
        assert "1 audit" in page.content()
        assert page.evaluate("document.cookie") == "", "the session cookie must be HttpOnly"
        page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    finally:
        context.close()
