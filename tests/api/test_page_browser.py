"""An admin creates an API token on the API tokens page, the token works on /api/v1 of the running app
(Reflex's api_transformer), and stops working once revoked on the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from compliance_app.models import Role
from tests.conftest import SCREENSHOTS, login, wait_for_app_hydration
from tests.factories import DEFAULT_PASSWORD, add_member, make_org, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT = 30_000


def test_admin_creates_uses_and_revokes_a_token(live_app: str, chromium, db: str) -> None:
    owner = make_user(email="ada@example.com", name="Ada Admin")
    org = make_org(owner, slug="acme", name="Acme Corp")
    viewer = add_member(org, make_user(email="vic@example.com"), Role.VIEWER)
    context = chromium.new_context(base_url=live_app, viewport={"width": 1280, "height": 900})
    try:
        login(context, live_app, owner.email, DEFAULT_PASSWORD)
        page = context.new_page()
        page.goto("/o/acme/api-tokens")
        wait_for_app_hydration(page)
        expect(page.get_by_role("link", name="API tokens")).to_have_attribute("aria-current", "page")
        page.get_by_test_id("token-create").click()
        expect(page.get_by_text("Give the token a name")).to_be_visible(timeout=TIMEOUT)
        page.get_by_test_id("token-name").fill("GitHub Actions")
        page.get_by_test_id("token-create").click()
        field = page.get_by_test_id("new-api-token")
        expect(field).to_have_value(re.compile(r"^cat_[A-Za-z0-9_-]{40,}$"), timeout=TIMEOUT)
        token = field.input_value()
        row = page.get_by_role("row").filter(has_text="GitHub Actions")
        expect(row).to_contain_text("read")
        expect(row).to_contain_text("active")
        expect(row).to_contain_text("never")  # not used yet
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "api-tokens.png"), full_page=True)

        api = context.request
        answer = api.get("/api/v1/orgs", headers={"Authorization": f"Bearer {token}"})
        assert answer.status == 200 and answer.json() == [{"slug": "acme", "name": "Acme Corp"}]
        assert api.post("/api/v1/orgs/acme/scans", headers={"Authorization": f"Bearer {token}"}).status == 403

        page.reload()
        wait_for_app_hydration(page)
        row = page.get_by_role("row").filter(has_text="GitHub Actions")
        expect(row).to_contain_text("from ", timeout=TIMEOUT)  # last used … from <address>
        assert token not in page.content()
        row.get_by_role("button", name="Revoke").click()
        expect(row).to_contain_text("revoked", timeout=TIMEOUT)
        assert api.get("/api/v1/orgs", headers={"Authorization": f"Bearer {token}"}).status == 401
    finally:
        context.close()

    context = chromium.new_context(base_url=live_app)
    try:
        login(context, live_app, viewer.email, DEFAULT_PASSWORD)
        page = context.new_page()
        page.goto("/o/acme/api-tokens")
        wait_for_app_hydration(page)
        expect(page.get_by_text("Only the organization's admins manage API tokens.")).to_be_visible(timeout=TIMEOUT)
        assert page.get_by_test_id("token-create").count() == 0
    finally:
        context.close()
