"""The audit page's export links download the audit as CSV, JSON and OCSF, for a signed-in member."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from compliance_app.services import audit_export
from tests.conftest import login, wait_for_app_hydration
from tests.factories import DEFAULT_PASSWORD, make_org, make_user
from tests.snapshots.factory import make_completed_audit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT = 30_000
SHOTS = Path("/tmp/shots/catalog-infra")


def test_audit_page_exports_download(live_app: str, chromium, db: str, tmp_path: Path) -> None:
    owner = make_user(name="Ada Admin")
    org = make_org(owner, name="Export Corp")
    audit = make_completed_audit(org)
    context = chromium.new_context(base_url=live_app, viewport={"width": 1280, "height": 900},
                                   accept_downloads=True)
    try:
        login(context, live_app, owner.email, DEFAULT_PASSWORD)
        page = context.new_page()
        page.goto(f"/o/{org.slug}/audits/{audit.id}")
        wait_for_app_hydration(page)
        page.locator(".audit-exports").wait_for(timeout=TIMEOUT)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "audit-exports.png"), full_page=True)
        saved = {}
        for fmt in audit_export.FORMATS:
            with page.expect_download(timeout=TIMEOUT) as info:
                page.locator(f".audit-export-{fmt}").click()
            download = info.value
            target = tmp_path / download.suggested_filename
            download.save_as(target)
            saved[fmt] = target
        assert saved["csv"].name == f"audit-{audit.id}.csv"
        rows = list(csv.DictReader(io.StringIO(saved["csv"].read_text(encoding="utf-8"))))
        assert len(rows) == 4 and {r["status"] for r in rows} == {"PASS", "FAIL", "RISK_ACCEPTED", "ERROR"}
        assert json.loads(saved["json"].read_text(encoding="utf-8"))["audit"]["audit_id"] == str(audit.id)
        events = json.loads(saved["ocsf"].read_text(encoding="utf-8"))
        assert {e["class_uid"] for e in events} == {2003}

        stranger = make_user()
        make_org(stranger)
        other = chromium.new_context(base_url=live_app)
        try:
            login(other, live_app, stranger.email, DEFAULT_PASSWORD)
            assert other.request.get(f"/api/audits/{audit.id}/export?format=csv").status == 404
        finally:
            other.close()
    finally:
        context.close()
