"""A stranger opens a share link in a fresh browser (no login), reads it, downloads JSON and PDF."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from compliance_app.db import session_scope
from compliance_app.models import PublicLink, Role
from compliance_app.services import shares, snapshots
from tests.conftest import SCREENSHOTS, login, wait_for_app_hydration
from tests.factories import DEFAULT_PASSWORD, actor_for, add_member, make_org, make_user
from tests.snapshots.factory import make_completed_audit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT = 30_000


def test_public_share_page_journey(live_app: str, chromium, db: str, tmp_path: Path) -> None:
    owner = make_user(name="Ada Admin")
    org = make_org(owner, name="Acme Corp")
    summary = snapshots.create_snapshot(actor_for(owner), make_completed_audit(org, approver=owner).id)
    link, token = shares.create_link(actor_for(owner), summary.id, label="auditor", disclosure="full")
    expired, expired_token = shares.create_link(actor_for(owner), summary.id)
    with session_scope() as s:
        s.get(PublicLink, expired.id).expires_at = expired.created_at - timedelta(seconds=1)

    context = chromium.new_context(base_url=live_app, viewport={"width": 1280, "height": 900},
                                   accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(f"/share/{token}")
        wait_for_app_hydration(page)
        page.locator("#share-score").get_by_text("72").wait_for(timeout=TIMEOUT)
        assert page.locator("#share-org").inner_text() == "Acme Corp"
        assert page.locator("#share-checksum").inner_text() == summary.checksum
        assert page.locator(".evidence-row").count() >= 4
        body = page.inner_text("body")
        for text in ("Readiness per framework", "SOC 2", "ISO 27001", "Enable SSE-KMS on the bucket.",
                     "arn:aws:s3:::logs-bucket", "Failing", "Risk accepted"):
            assert text in body, text
        assert page.locator('meta[name="robots"][content="noindex"]').count() >= 1
        assert owner.email not in page.content()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "share-page.png"), full_page=True)

        # Downloads, through the page's own links, with this (cookie-less) browser context.
        json_href = page.locator("#download-json").get_attribute("href")
        pdf_href = page.locator("#download-pdf").get_attribute("href")
        doc = json.loads(context.request.get(json_href).body())
        canonical = json.dumps(doc["snapshot"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == doc["checksum"] == summary.checksum
        with page.expect_download(timeout=TIMEOUT) as download_info:
            page.evaluate("href => { const a = document.createElement('a'); a.href = href; a.click(); }", pdf_href)
        pdf = tmp_path / "share.pdf"
        download_info.value.save_as(str(pdf))
        assert pdf.read_bytes().startswith(b"%PDF")
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
                       check=True)
        [png] = sorted(tmp_path.glob("p*.png"))
        (SCREENSHOTS / "share-pdf-page1.png").write_bytes(png.read_bytes())

        [listed] = [x for x in shares.list_links(actor_for(owner), org.id) if x.id == link.id]
        assert listed.view_count >= 3  # page + JSON + PDF

        # Expired and unknown tokens look exactly alike.
        texts = []
        for bad in (expired_token, "not-a-token", crypto_token()):
            other = context.new_page()
            other.goto(f"/share/{bad}")
            wait_for_app_hydration(other)
            other.locator("#share-not-found").wait_for(timeout=TIMEOUT)
            texts.append(other.inner_text("body"))
            other.close()
        assert len(set(texts)) == 1 and "Link not found or expired" in texts[0]
    finally:
        context.close()


def crypto_token() -> str:
    from compliance_app.services.crypto import new_token

    return new_token(32)


def _signed_in_page(chromium, live_app: str, email: str):
    context = chromium.new_context(base_url=live_app, viewport={"width": 1360, "height": 900})
    login(context, live_app, email, DEFAULT_PASSWORD)
    return context, context.new_page()


def test_snapshots_page_create_share_revoke(live_app: str, chromium, db: str) -> None:
    owner = make_user(name="Ada Admin")
    org = make_org(owner, name="Acme Corp")
    make_completed_audit(org, approver=owner)
    viewer = add_member(org, role=Role.VIEWER)

    context, page = _signed_in_page(chromium, live_app, owner.email)
    try:
        page.goto(f"/o/{org.slug}/snapshots")
        wait_for_app_hydration(page)
        page.get_by_test_id("snapshot-create").click()
        page.get_by_test_id("snapshot-row").first.wait_for(timeout=TIMEOUT)
        assert page.get_by_test_id("verify-badge").first.inner_text().strip() == "valid"

        page.get_by_test_id("share-open").first.click()
        page.get_by_test_id("share-create").click()
        link_field = page.get_by_test_id("new-link-url")
        expect(link_field).to_have_value(re.compile("/share/"), timeout=TIMEOUT)
        url = link_field.input_value().strip()
        token = url.rsplit("/share/", 1)[1]
        assert url.startswith(live_app) and len(token) >= 43
        assert context.request.get(f"/api/public/snapshots/{token}").status == 200
        page.get_by_role("button", name="Done").click()

        row = page.get_by_test_id("link-row").first
        row.get_by_text("active").wait_for(timeout=TIMEOUT)
        row.get_by_role("button", name="Revoke").click()
        page.get_by_test_id("link-revoke-confirm").click()  # revoking asks first
        row.get_by_text("revoked").wait_for(timeout=TIMEOUT)
        assert context.request.get(f"/api/public/snapshots/{token}").status == 404
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "snapshots-page.png"), full_page=True)
    finally:
        context.close()

    context, page = _signed_in_page(chromium, live_app, viewer.email)
    try:
        page.goto(f"/o/{org.slug}/snapshots")
        wait_for_app_hydration(page)
        page.get_by_test_id("snapshot-row").first.wait_for(timeout=TIMEOUT)
        assert page.get_by_test_id("share-open").count() == 0
        assert page.get_by_test_id("snapshot-create").count() == 0
        assert page.get_by_role("button", name="Pin").count() == 0
        assert "Public links" not in page.inner_text("body")
    finally:
        context.close()
