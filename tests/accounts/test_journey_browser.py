"""Sign up → create an organization → invite → accept in a second browser → the viewer
sees no admin controls, and requests forged with the viewer's session are refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from compliance_app.services import accounts
from compliance_app.services import organizations as orgs
from compliance_app.services.errors import PermissionDenied
from tests.conftest import wait_for_app_hydration

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADMIN_EMAIL, VIEWER_EMAIL = "founder@example.com", "auditor@example.com"
PASSWORD = "journey password 2026"


def sign_up(page, name: str, email: str) -> None:
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password_confirm]").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def test_signup_invite_accept_and_viewer_is_refused(live_app: str, chromium, db: str, tmp_path: Path) -> None:
    admin_ctx = chromium.new_context(base_url=live_app)
    viewer_ctx = chromium.new_context(base_url=live_app)
    try:
        # 1. Sign up (signed-out visitors of a protected page land on the login page first).
        page = admin_ctx.new_page()
        page.goto("/orgs")
        page.wait_for_url("**/login?next=%2Forgs**", timeout=30_000)
        wait_for_app_hydration(page)
        page.get_by_role("link", name="Create one").click()
        page.wait_for_url("**/signup**")
        wait_for_app_hydration(page)
        page.locator("input[name=email]").fill(ADMIN_EMAIL)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("input[name=password_confirm]").fill(PASSWORD + "?")  # refused inline by the server
        page.get_by_role("button", name="Create account").click()
        page.get_by_text("The two passwords do not match.").wait_for(timeout=30_000)
        wait_for_app_hydration(page)
        sign_up(page, "Founder", ADMIN_EMAIL)
        page.wait_for_url("**/orgs**", timeout=30_000)
        assert page.evaluate("document.cookie") == "", "the session cookie must be HttpOnly"

        # 2. Create an organization; the slug follows the name.
        wait_for_app_hydration(page)
        page.get_by_placeholder("Acme Inc").fill("Journey Co")
        page.get_by_role("button", name="Create organization").click()
        page.wait_for_url("**/o/journey-co", timeout=30_000)  # its dashboard: first steps
        page.goto("/o/journey-co/members")

        # 3. Invite a viewer; the link is shown once.
        wait_for_app_hydration(page)
        page.get_by_placeholder("email@example.com").fill(VIEWER_EMAIL)
        page.get_by_test_id("invite-card").get_by_role("combobox").click()
        page.get_by_role("option", name="viewer").click()
        page.get_by_role("button", name="Create invite link").click()
        link_field = page.get_by_test_id("invite-link")
        expect(link_field).to_have_value(re.compile("/invite/"), timeout=30_000)
        link = link_field.input_value().strip()
        assert "/invite/" in link
        page.screenshot(path=str(tmp_path / "admin-members.png"), full_page=True)

        # 4. Accept in a second browser: create the invited account, then accept.
        other = viewer_ctx.new_page()
        other.goto(link.replace(link.split("/invite/")[0], live_app))
        wait_for_app_hydration(other)
        other.get_by_text("You are invited to join").wait_for(timeout=30_000)
        other.get_by_role("link", name="Create account").click()
        other.wait_for_url("**/signup?next=**")
        wait_for_app_hydration(other)
        sign_up(other, "Auditor", VIEWER_EMAIL)
        other.wait_for_url("**/invite/**", timeout=30_000)
        wait_for_app_hydration(other)
        other.get_by_test_id("invite-accept").click()
        other.wait_for_url("**/o/journey-co/members**", timeout=30_000)

        # 5. The viewer sees the members but none of the admin controls.
        wait_for_app_hydration(other)
        other.get_by_text(ADMIN_EMAIL).wait_for(timeout=30_000)
        assert other.get_by_test_id("invite-card").count() == 0
        assert other.get_by_test_id("remove-member").count() == 0
        assert other.get_by_test_id("role-select").count() == 0
        other.goto("/o/journey-co/activity")
        other.get_by_text("Only admins can see the activity log.").wait_for(timeout=30_000)
        other.goto("/o/journey-co/settings")
        wait_for_app_hydration(other)
        other.get_by_text("Leave organization").first.wait_for(timeout=30_000)
        assert other.get_by_test_id("settings-save").count() == 0
        other.screenshot(path=str(tmp_path / "viewer-settings.png"), full_page=True)

        # 6. Forged requests carrying the viewer's real session are refused by the services,
        #    which is what every page event calls with SessionState._actor().
        token = next(c["value"] for c in viewer_ctx.cookies() if c["name"] == "ca_session")
        viewer = accounts.resolve_session(token)
        assert viewer is not None and viewer.email == VIEWER_EMAIL
        actor = accounts.user_actor(viewer)
        org_id = orgs.get_organization_for(actor, "journey-co").organization.id
        for forged in (
            lambda: orgs.invite_member(actor, org_id, "mallory@example.com", "admin"),
            lambda: orgs.change_role(actor, org_id, viewer.id, "admin"),
            lambda: orgs.update_organization(actor, org_id, name="Pwned"),
            lambda: orgs.list_activity(actor, org_id),
        ):
            with pytest.raises(PermissionDenied):
                forged()
        assert [m.role for m in orgs.list_members(actor, org_id) if m.email == VIEWER_EMAIL] == ["viewer"]

        # A cross-site login form post (login CSRF) is refused by the cookie route.
        response = viewer_ctx.request.post(
            "/api/auth/login",
            form={"email": ADMIN_EMAIL, "password": PASSWORD, "next": "/orgs"},
            headers={"origin": "https://evil.example"},
            max_redirects=0,
        )
        assert response.status == 303 and "set-cookie" not in response.headers
        assert "/login?error=" in response.headers["location"]
    finally:
        admin_ctx.close()
        viewer_ctx.close()
