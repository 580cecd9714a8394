"""Proof freshness in Chromium against the production build.

The dashboard's "Proof to renew" section empty, then listing stale and expiring proof; the
evidence drawer's upload form with its evidence date (a future date refused at the form,
a past one accepted and shown with its validity); a proof file deleted behind the app's
back shown as missing. Screenshots go to SCREENSHOTS (proof-*.png).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from compliance_app.models.types import utcnow
from compliance_app.services.evidence_files import save_evidence_file
from tests.conftest import PROJECT_ROOT, SCREENSHOTS, login, wait_for_app_hydration
from tests.dashboard.conftest import Scenario, png_bytes
from tests.factories import DEFAULT_PASSWORD, actor_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT = 30_000


def _shot(page, name: str) -> None:
    page.wait_for_timeout(400)
    page.evaluate("document.querySelectorAll('[data-sonner-toast]').forEach(t => t.remove())")
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _open(page, path: str) -> None:
    page.goto(path)
    wait_for_app_hydration(page)


def test_proof_to_renew_and_the_dated_upload_form(live_app: str, chromium, scenario: Scenario,
                                                  tmp_path: Path) -> None:
    # The app serves files from its own DATA_DIR (this process's environment when it started).
    evidence_dir = Path(os.environ.get("DATA_DIR", PROJECT_ROOT / "data")) / "evidence"
    slug, audit_id = scenario.org.slug, scenario.audit.id
    context = chromium.new_context(base_url=live_app, viewport={"width": 1280, "height": 1400})
    login(context, live_app, scenario.owner.email, DEFAULT_PASSWORD)
    page = context.new_page()
    try:
        _open(page, f"/o/{slug}")
        page.locator(".proof-due-empty").wait_for(timeout=TIMEOUT)
        _shot(page, "proof-dashboard-empty.png")

        trail = scenario.evidence["t_high_logging:trail-1"].id
        _open(page, f"/o/{slug}/audits/{audit_id}?evidence={trail}")
        drawer = page.locator(".evidence-drawer")
        drawer.wait_for(timeout=TIMEOUT)
        assert drawer.get_by_text("No proof file yet.").count() == 1
        date_input = drawer.locator(".evidence-date-input")
        assert date_input.input_value() == utcnow().date().isoformat()  # today by default
        _shot(page, "proof-upload-form-empty.png")

        png = tmp_path / "trail.png"
        png.write_bytes(png_bytes((320, 200)))
        # A date in the future is refused by the service, said at the form; nothing stored.
        drawer.locator(".evidence-file-input").set_input_files(str(png))
        date_input.fill((utcnow().date() + timedelta(days=3)).isoformat())
        drawer.locator(".upload-proof").click()
        page.locator(".evidence-drawer .upload-error").wait_for(timeout=TIMEOUT)
        assert "cannot be in the future" in page.locator(".evidence-drawer .upload-error").inner_text()

        proven_on = (utcnow().date() - timedelta(days=350)).isoformat()
        drawer = page.locator(".evidence-drawer")
        drawer.locator(".evidence-file-input").set_input_files(str(png))
        drawer.locator(".evidence-date-input").fill(proven_on)
        drawer.locator(".upload-proof").click()
        page.get_by_text("Proof file uploaded").wait_for(timeout=TIMEOUT)
        dates = page.locator(".evidence-drawer .proof-dates")
        dates.wait_for(timeout=TIMEOUT)
        assert f"Dated {proven_on}" in dates.inner_text() and "Expires within 30 days" in dates.inner_text()
        page.wait_for_function("document.querySelector('.proof-thumb').naturalWidth === 320")
        _shot(page, "proof-upload-form-with-proof.png")

        stale = save_evidence_file(actor_for(scenario.owner), scenario.evidence["t_medium_keys:key-1"].id,
                                   png_bytes(), "key.png", utcnow().date() - timedelta(days=400))
        _open(page, f"/o/{slug}")
        page.locator(".proof-due-row").nth(1).wait_for(timeout=TIMEOUT)
        rows = [r.inner_text() for r in page.locator(".proof-due-row").all()]
        assert "Stale" in rows[0] and "key-1" in rows[0] and "Expiring" in rows[1] and "trail-1" in rows[1]
        page.locator(".proof-due").scroll_into_view_if_needed()
        _shot(page, "proof-dashboard-due.png")

        # The stale proof's file deleted behind the app's back: the drawer says so.
        (evidence_dir / stale.name).unlink()
        _open(page, f"/o/{slug}/audits/{audit_id}?evidence={scenario.evidence['t_medium_keys:key-1'].id}")
        missing = page.locator(".evidence-drawer .proof-missing")
        missing.wait_for(timeout=TIMEOUT)
        assert "missing on the server" in missing.inner_text()
        _shot(page, "proof-file-missing.png")
    finally:
        context.close()
