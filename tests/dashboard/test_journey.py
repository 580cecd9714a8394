"""The manager's journey in Chromium against the production build, plus the docs screenshots.

Dashboard (score, trend with points, range switch) → run a scan with a real worker process
and watch it complete → open the audit → filter to FAIL → open an evidence → raw JSON →
upload a PNG → thumbnail. A viewer sees neither the upload nor the accept controls; a
member of another organization (and an anonymous visitor) gets 404 on the file URL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from compliance_app.commands.serve import stop_process_group
from compliance_app.db import session_scope
from compliance_app.models import Evidence, Organization, Proof, Role, User
from compliance_app.services import integrations
from compliance_app.services.authz import Actor
from compliance_app.services.demo import DEMO_EMAIL, DEMO_ORG_SLUG, DEMO_PASSWORD, seed_demo
from tests.conftest import PROJECT_ROOT, SCREENSHOTS, free_port, login, wait_for_app_hydration
from tests.dashboard.conftest import png_bytes
from tests.factories import DEFAULT_PASSWORD, add_member, make_org, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT = 30_000


@pytest.fixture
def worker(db: str, tmp_path: Path) -> Iterator[subprocess.Popen]:
    """`python -m compliance_app worker` against the test database, stopped with SIGTERM."""
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "compliance_app", "worker"], cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": db, "WORKER_POLL_SECONDS": "0.5"},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        yield proc
    finally:
        stop_process_group(proc, timeout=20)
        log.close()


def _context(chromium, live_app: str, email: str, password: str, scheme: str = "light"):
    context = chromium.new_context(base_url=live_app, viewport={"width": 1280, "height": 860}, color_scheme=scheme)
    login(context, live_app, email, password)
    return context


def _open(page, path: str) -> None:
    page.goto(path)
    wait_for_app_hydration(page)


def _shot(page, name: str, tall: bool = False) -> None:
    """Full-page screenshot; `tall` grows the window so the whole evidence drawer fits."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if tall:
        page.set_viewport_size({"width": 1280, "height": 1640})
    page.wait_for_timeout(400)
    page.evaluate("document.querySelectorAll('[data-sonner-toast]').forEach(t => t.remove())")
    page.screenshot(path=str(SCREENSHOTS / name), full_page=not tall)
    if tall:
        page.set_viewport_size({"width": 1280, "height": 860})


def test_manager_journey(live_app: str, chromium, db: str, worker: subprocess.Popen, tmp_path: Path) -> None:
    seed_demo()
    with session_scope() as s:
        org = s.exec(select(Organization).where(Organization.slug == DEMO_ORG_SLUG)).one()
    viewer = add_member(org, make_user(), role=Role.VIEWER)
    outsider = make_user()
    make_org(outsider)
    dashboard_url = f"/o/{DEMO_ORG_SLUG}"
    with session_scope() as s:
        demo_user = s.exec(select(User).where(User.email == DEMO_EMAIL)).one()
    own = make_org(demo_user, slug="own-co", name="Own Co")
    integrations.add_github_integration(Actor.system(), own.id, "ghp_unreachableJourney01", "acme",
                                        f"http://127.0.0.1:{free_port()}")

    context = _context(chromium, live_app, DEMO_EMAIL, DEMO_PASSWORD)
    try:
        page = context.new_page()
        _open(page, dashboard_url)
        score = page.locator(".dashboard-score")
        score.wait_for(timeout=TIMEOUT)
        assert score.inner_text().strip().isdigit()
        caption = page.locator(".trend-caption")
        assert caption.inner_text().startswith("30 days scanned")
        page.locator(".trend-chart .recharts-area-curve").wait_for(timeout=TIMEOUT)
        assert page.locator(".trend-chart .recharts-cartesian-axis-tick").count() > 4
        _shot(page, "dashboard-light.png")

        dark = _context(chromium, live_app, DEMO_EMAIL, DEMO_PASSWORD, scheme="dark")
        dark_page = dark.new_page()
        _open(dark_page, dashboard_url)
        dark_page.locator(".trend-chart .recharts-area-curve").wait_for(timeout=TIMEOUT)
        _shot(dark_page, "dashboard-dark.png")
        dark.close()

        # Range switch: 7 days of history.
        page.get_by_role("radio", name="7 days").click()
        page.wait_for_function("document.querySelector('.trend-caption').innerText.startsWith('7 days')")
        page.get_by_role("radio", name="1 year").click()
        page.wait_for_function("document.querySelector('.trend-caption').innerText.startsWith('31 days')")

        # The demo organization is never scanned: no Run scan, a banner says it is demo data.
        assert page.locator(".run-scan").count() == 0
        assert page.locator(".demo-banner").count() == 1

        # Run a scan in an organization of one's own; the worker completes it (its integration is
        # unreachable, so every check could not run) without a reload, and the page says so.
        _open(page, f"/o/{own.slug}")
        page.evaluate("window.__not_reloaded = true")
        page.locator(".run-scan").click()
        page.get_by_text("Scan complete").wait_for(timeout=60_000)
        assert page.evaluate("window.__not_reloaded") is True
        assert page.get_by_text("just now").count() >= 1
        assert "could not run" in page.locator(".scan-problem").inner_text()
        _open(page, dashboard_url)
        score.wait_for(timeout=TIMEOUT)

        # Open the scored audit (one row per check), filter to failing checks, open a check's resource.
        page.get_by_text("Open this audit").click()
        page.locator(".check-row").first.wait_for(timeout=TIMEOUT)
        audit_url = page.url.split("?")[0]
        page.get_by_role("combobox").filter(has_text="All results").click()
        page.get_by_role("option", name="Fail", exact=True).click()
        page.wait_for_function(
            "[...document.querySelectorAll('.check-row')].every(r => r.innerText.includes('Fail'))"
        )
        page.wait_for_url("**?status=FAIL", timeout=TIMEOUT)  # the filter lives in the URL
        assert page.locator(".check-row").count() >= 1
        page.locator(".check-row").first.click()
        page.locator(".evidence-row").first.wait_for(timeout=TIMEOUT)
        _shot(page, "audit-light.png")
        page.locator(".evidence-row").first.click()
        drawer = page.locator(".evidence-drawer")
        drawer.wait_for(timeout=TIMEOUT)
        raw = drawer.locator(".raw-json").inner_text()
        assert '"demo": true' in raw
        resource = drawer.locator(".evidence-resource").inner_text()
        with session_scope() as s:
            evidence = s.exec(select(Evidence).where(Evidence.resource_id == resource)).one()
        assert drawer.locator(".accept-form").count() == 1  # admin, failing evidence

        # Upload a PNG through the private route; the page comes back with the thumbnail.
        png = tmp_path / "proof.png"
        png.write_bytes(png_bytes((320, 200)))
        drawer.locator(".evidence-file-input").set_input_files(str(png))
        drawer.locator(".upload-proof").click()
        page.wait_for_url(f"**evidence={evidence.id}**", timeout=TIMEOUT)
        thumb = page.locator(".evidence-drawer .proof-thumb")
        thumb.wait_for(timeout=TIMEOUT)
        page.wait_for_function("document.querySelector('.proof-thumb').naturalWidth === 320")
        page.get_by_text("Proof file uploaded").wait_for(timeout=TIMEOUT)
        assert page.locator(".evidence-row").first.inner_text().count("Fail") == 1, "the FAIL filter is kept"
        _shot(page, "evidence-light.png", tall=True)
        evidence_page = page.url

        with session_scope() as s:
            stored = s.exec(select(Proof.file_name).where(Proof.replaced_at.is_(None))).one()
        stored_path = Path(os.environ.get("DATA_DIR", PROJECT_ROOT / "data")) / "evidence" / str(stored)
        assert stored and stored_path.is_file()
        file_url = f"/api/evidence/{evidence.id}/file"
        assert context.request.get(file_url).status == 200
        assert context.request.get(f"/_upload/{stored}").status == 404
    finally:
        context.close()

    # The same screens in dark mode.
    dark = _context(chromium, live_app, DEMO_EMAIL, DEMO_PASSWORD, scheme="dark")
    try:
        page = dark.new_page()
        _open(page, audit_url + "?status=FAIL")
        page.locator(".check-row").first.wait_for(timeout=TIMEOUT)
        _shot(page, "audit-dark.png")
        _open(page, evidence_page)
        page.locator(".evidence-drawer .proof-thumb").wait_for(timeout=TIMEOUT)
        _shot(page, "evidence-dark.png", tall=True)
    finally:
        dark.close()

    # A viewer reads everything but sees no upload, accept or scan controls.
    ctx = _context(chromium, live_app, viewer.email, DEFAULT_PASSWORD)
    try:
        page = ctx.new_page()
        _open(page, f"{audit_url}?evidence={evidence.id}")
        page.locator(".evidence-drawer .proof-thumb").wait_for(timeout=TIMEOUT)
        assert page.locator(".evidence-drawer .raw-json").count() == 1
        assert page.locator(".upload-form").count() == 0
        assert page.locator(".accept-form").count() == 0
        assert ctx.request.get(file_url).status == 200
        _open(page, dashboard_url)
        page.locator(".dashboard-score").wait_for(timeout=TIMEOUT)
        assert page.locator(".run-scan").count() == 0
    finally:
        ctx.close()

    # Another organization's member, and an anonymous visitor, get 404 on the file.
    ctx = _context(chromium, live_app, outsider.email, DEFAULT_PASSWORD)
    try:
        assert ctx.request.get(file_url).status == 404
    finally:
        ctx.close()
    anonymous = chromium.new_context(base_url=live_app)
    try:
        assert anonymous.request.get(file_url).status == 404
    finally:
        anonymous.close()
        stored_path.unlink(missing_ok=True)  # the live app stores into the project's data dir
