"""A new user's journey in Chromium, desktop and phone, against `compliance_app serve` on a PORT
other than 3000 with APP_URL unset (so links must follow PORT): what a new user trips over.

The phone part runs at 390x844 and fails on any page that scrolls sideways. Screenshots go
where every browser test puts them (docs/screenshots under `make screenshots`).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from compliance_app.commands.serve import stop_process_group
from compliance_app.db import session_scope
from compliance_app.models import Audit, AuditStatus, Organization
from compliance_app.services import integrations, organizations, shares, snapshots
from compliance_app.services.authz import Actor
from compliance_app.services.demo import DEMO_EMAIL, DEMO_ORG_SLUG, DEMO_PASSWORD, seed_demo
from compliance_app.services.scans import NOTHING_TO_SCAN
from tests.conftest import (
    BUN_DIR,
    PROJECT_ROOT,
    SCREENSHOTS,
    app_env,
    free_port,
    login,
    wait_for_app_hydration,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT = 30_000
PHONE = {"width": 390, "height": 844}
EMAIL, PASSWORD, NAME = "newcomer@example.com", "first hour password 2026", "Newcomer"
ORG_PAGES = ("", "/audits", "/integrations", "/checks", "/risks", "/snapshots", "/members", "/activity",
             "/settings", "/billing")


@pytest.fixture(scope="module")
def served(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """`python -m compliance_app serve` (web app + worker, as `make run`) with PORT set, APP_URL unset."""
    if not (BUN_DIR / "bun").exists():
        pytest.fail("bun is missing: run `make bun`")
    workdir = tmp_path_factory.mktemp("first-hour")
    port = free_port()
    env = app_env(pg_url, workdir)
    env.pop("APP_URL", None)
    env.update({"PORT": str(port), "WORKER_POLL_SECONDS": "0.5"})
    log = open(workdir / "serve.log", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen([sys.executable, "-m", "compliance_app", "serve"], cwd=PROJECT_ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail("serve exited early:\n" + (workdir / "serve.log").read_text()[-3000:])
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200 and \
                        httpx.get(f"{base}/", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("serve did not become healthy:\n" + (workdir / "serve.log").read_text()[-3000:])
            time.sleep(1)
        yield base, port
    finally:
        stop_process_group(proc, timeout=30)
        log.close()


def _open(page, path: str) -> None:
    page.goto(path)
    wait_for_app_hydration(page)


def _shot(page, name: str) -> None:
    page.wait_for_timeout(300)
    page.evaluate("document.querySelectorAll('[data-sonner-toast]').forEach(t => t.remove())")
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _fits(page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} scrolls sideways on a phone ({width} px wide)"


def test_first_hour_desktop_and_phone(served, chromium, db: str) -> None:
    base, port = served
    seed_demo()

    # --- a new user, desktop ------------------------------------------------------------
    ctx = chromium.new_context(base_url=base, viewport={"width": 1280, "height": 860})
    try:
        page = ctx.new_page()
        # The sign-in page names the product and offers the demo login (demo is seeded).
        _open(page, "/login")
        assert page.get_by_text("compliance_app").first.is_visible()
        assert DEMO_EMAIL in page.locator(".demo-login").inner_text()
        assert ctx.request.get("/favicon.ico").status == 200
        page.get_by_role("link", name="Create one").click()
        page.wait_for_url("**/signup**")
        wait_for_app_hydration(page)
        page.locator("input[name=name]").fill(NAME)
        page.locator("input[name=email]").fill(EMAIL)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("input[name=password_confirm]").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        # No organization yet → the one organizations page, with the create form.
        page.wait_for_url("**/orgs", timeout=TIMEOUT)
        wait_for_app_hydration(page)
        page.get_by_placeholder("Acme Inc").fill("Journey Co")
        page.get_by_role("button", name="Create organization").click()
        # A new organization opens on its first steps.
        page.wait_for_url("**/o/journey-co", timeout=TIMEOUT)
        page.locator(".onboarding").wait_for(timeout=TIMEOUT)
        _shot(page, "onboarding.png")
        # A scan with nothing to check is refused, with the way to Integrations.
        wait_for_app_hydration(page)
        page.locator(".run-scan").click()
        refused = page.locator(".scan-refused")
        refused.wait_for(timeout=TIMEOUT)
        assert NOTHING_TO_SCAN in refused.inner_text()
        assert refused.get_by_role("link").get_attribute("href") == "/o/journey-co/integrations"
        with session_scope() as s:
            org = s.exec(select(Organization).where(Organization.slug == "journey-co")).one()
            assert s.exec(select(Audit).where(Audit.organization_id == org.id)).first() is None

        # An unreachable integration: the scan runs, every check could not run, and both the
        # dashboard and the audits list say so.
        integrations.add_github_integration(Actor.system(), org.id, "ghp_unreachableFirstHour1", "acme",
                                            f"http://127.0.0.1:{free_port()}")
        _open(page, "/o/journey-co")
        page.locator(".run-scan").click()
        problem = page.locator(".scan-problem")
        problem.wait_for(timeout=60_000)
        assert "checks could not run: cannot reach GitHub at" in problem.inner_text()
        assert page.locator(".last-scan-status").inner_text() == "NOTHING SCORED"
        _shot(page, "failed-scan-dashboard.png")
        _open(page, "/o/journey-co/audits")
        assert "could not run" in page.locator(".audit-problem").first.inner_text()
        # The current page is highlighted in the navigation.
        assert page.locator(".nav-active").inner_text().strip() == "Audits"
        _shot(page, "failed-scan-audits.png")

        # The invitation link the Members page shows follows PORT (APP_URL unset) and works;
        # signed in as someone else, the invite page says so instead of offering an Accept
        # that would be refused.
        _open(page, "/o/journey-co/members")
        page.get_by_placeholder("email@example.com").fill("friend@example.com")
        page.get_by_role("button", name="Create invite link").click()
        shown = page.get_by_test_id("invite-link")
        shown.wait_for(timeout=TIMEOUT)
        page.wait_for_function("(document.querySelector('[data-testid=invite-link]').value || "
                               "document.querySelector('[data-testid=invite-link]').innerText).includes('/invite/')")
        link = shown.evaluate("el => (el.value || el.innerText).trim()")
        assert port != 3000 and link.startswith(f"http://localhost:{port}/invite/"), link
        _open(page, link.replace(f"http://localhost:{port}", base))
        page.get_by_text("You are invited to join").wait_for(timeout=TIMEOUT)
        other = page.get_by_test_id("invite-other-account")
        assert f"Signed in as {EMAIL} — sign out to accept as friend@example.com" in other.inner_text()
        assert page.get_by_test_id("invite-accept").count() == 0
    finally:
        ctx.close()

    # --- the demo manager, desktop --------------------------------------------------------
    ctx = chromium.new_context(base_url=base, viewport={"width": 1280, "height": 860})
    try:
        login(ctx, base, DEMO_EMAIL, DEMO_PASSWORD)
        page = ctx.new_page()
        # Signing in lands on the dashboard of the organization used last (here the only one).
        _open(page, "/")
        page.wait_for_url(f"**/o/{DEMO_ORG_SLUG}", timeout=TIMEOUT)
        # Demo wording, never scanned.
        page.locator(".demo-banner").wait_for(timeout=TIMEOUT)
        assert "Demo data" in page.locator(".demo-banner").inner_text()
        assert page.locator(".run-scan").count() == 0
        assert "No integration is connected yet" not in page.inner_text("body")
        assert "First completed audit" not in page.inner_text("body")
        # Scored n of m checks beside the score, and how it is computed.
        assert page.locator(".scored-text").first.inner_text().startswith("scored ")
        assert page.locator(".score-explanation").inner_text().startswith("The score is")

        # Accept a risk from the audit page; the refusal shows at the field.
        page.get_by_text("Open this audit").click()
        page.locator(".check-row").first.wait_for(timeout=TIMEOUT)
        page.get_by_role("combobox").filter(has_text="All results").click()
        page.get_by_role("option", name="Fail", exact=True).click()
        page.wait_for_url("**?status=FAIL", timeout=TIMEOUT)
        page.locator(".check-row").first.click()
        page.locator(".evidence-row").first.click()
        drawer = page.locator(".evidence-drawer")
        drawer.locator(".accept-form").wait_for(timeout=TIMEOUT)
        drawer.locator(".accept-risk").click()
        drawer.locator(".accept-error").wait_for(timeout=TIMEOUT)
        assert page.locator("[data-sonner-toast]").count() == 0, "validation belongs at the field"
        drawer.locator(".accept-reason textarea").fill("Compensating control documented in the risk register")
        page.wait_for_timeout(500)
        drawer.locator(".accept-risk").click()
        page.get_by_text("Risk accepted until").wait_for(timeout=TIMEOUT)
        assert page.get_by_text("An error occurred").count() == 0
        # A filtered view survives a reload (the filter lives in the URL).
        page.reload()
        wait_for_app_hydration(page)
        page.locator(".check-row").first.wait_for(timeout=TIMEOUT)
        assert page.get_by_role("combobox").filter(has_text="Fail").count() == 1

        # A live share link opens (200); once revoked, the page answers 404; JSON downloads.
        demo = organizations.get_organization_for(Actor.system(), DEMO_ORG_SLUG).organization
        with session_scope() as s:
            audit_id = s.exec(select(Audit.id).where(Audit.organization_id == demo.id,
                                                     Audit.status == AuditStatus.COMPLETED)).first()
        summary = snapshots.create_snapshot(Actor.system(), audit_id)
        info, share_token = shares.create_link(Actor.system(), summary.id, timedelta(days=7))
        assert page.goto(f"/share/{share_token}").status == 200
        download = ctx.request.get(f"/api/public/snapshots/{share_token}")
        disposition = download.headers["content-disposition"]
        assert disposition.startswith(f'attachment; filename="{DEMO_ORG_SLUG}-snapshot-')
        assert disposition.endswith('.json"')
        shares.revoke_link(Actor.system(), info.id)
        assert ctx.request.get(f"/share/{share_token}").status == 404
        dead = page.goto(f"/share/{share_token}")
        assert dead.status == 404, "the page was not served from the browser's cache"
        wait_for_app_hydration(page)
        page.get_by_text("Link not found or expired").first.wait_for(timeout=TIMEOUT)
    finally:
        ctx.close()

    # --- the demo manager on a phone -------------------------------------------------------
    ctx = chromium.new_context(base_url=base, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        login(ctx, base, DEMO_EMAIL, DEMO_PASSWORD)
        page = ctx.new_page()
        # Every page fits 390 px; the navigation is a menu drawer.
        for section in ORG_PAGES:
            _open(page, f"/o/{DEMO_ORG_SLUG}{section}")
            page.wait_for_timeout(700)
            _fits(page, section or "the dashboard")
        for path in ("/orgs", "/account"):
            _open(page, path)
            _fits(page, path)
        _open(page, f"/o/{DEMO_ORG_SLUG}")
        page.locator(".dashboard-score").wait_for(timeout=TIMEOUT)
        _fits(page, "the dashboard")
        _shot(page, "dashboard-phone.png")
        assert not page.get_by_role("link", name="Audits", exact=True).first.is_visible(), "no sidebar on a phone"
        page.get_by_role("button", name="Open the menu").click()
        menu = page.locator(".menu-drawer")
        menu.wait_for(timeout=TIMEOUT)
        _shot(page, "menu-phone.png")
        menu.get_by_role("link", name="Audits", exact=True).click()
        page.wait_for_url(f"**/o/{DEMO_ORG_SLUG}/audits", timeout=TIMEOUT)
        # Tables become stacked cards (no header row, each row a card).
        page.locator(".audit-row").first.wait_for(timeout=TIMEOUT)
        assert page.evaluate("getComputedStyle(document.querySelector('.rt-TableRoot thead')).display") == "none"
        _fits(page, "the audits list")
        page.locator(".audit-row a").first.click()
        page.locator(".check-row").first.wait_for(timeout=TIMEOUT)
        _fits(page, "the audit page")
        _shot(page, "audit-phone.png")
    finally:
        ctx.close()
