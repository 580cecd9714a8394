"""Signatures on the pages: the snapshots page and the public share page say who signed a
snapshot and what it is chained to ("unsigned" for snapshots taken before signing), show the
organization's chain head, and the share page offers the signed bundle."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from compliance_app.db import session_scope
from compliance_app.models import AuditSnapshot
from compliance_app.pages.snapshots import SnapshotsState
from compliance_app.services import shares, signing, snapshots
from tests.conftest import SCREENSHOTS, login, wait_for_app_hydration
from tests.factories import DEFAULT_PASSWORD, actor_for, make_org, make_user
from tests.first_hour.conftest import page_state
from tests.snapshots.factory import make_completed_audit

TIMEOUT = 30_000


def _unsigned_snapshot(org, audit) -> int:
    """A snapshot as versions before signing wrote it: no chain, no envelope."""
    data = {"format": "compliance_app.snapshot/1", "audit": {"id": str(audit.id)}, "evidence": []}
    with session_scope() as s:
        row = AuditSnapshot(audit_id=audit.id, organization_id=org.id, data=data,
                            checksum=snapshots.compute_checksum(data))
        s.add(row)
        s.flush()
        return row.id


def test_the_snapshots_page_shows_each_signature_and_the_chain_head(db, monkeypatch):
    owner = make_user()
    org = make_org(owner)
    audit = make_completed_audit(org)
    old = _unsigned_snapshot(org, audit)
    first = snapshots.create_snapshot(actor_for(owner), audit.id)
    second = snapshots.create_snapshot(actor_for(owner), audit.id)
    state = page_state(monkeypatch, SnapshotsState, actor_for(owner), str(org.id), org.slug)
    state._refresh()
    keyid = signing.list_public_keys()[0].keyid
    by_id = {row["id"]: row["signature"] for row in state.rows}
    assert by_id == {
        str(second.id): f"signed by this installation (key {keyid[:12]}…), sequence 2, chained to snapshot "
                        f"#{first.id}",
        str(first.id): f"signed by this installation (key {keyid[:12]}…), sequence 1, first in this "
                       "organization's chain",
        str(old): "unsigned (taken before snapshots were signed)",
    }
    assert state.chain_head == f"Chain head: sequence 2, sha256 {second.checksum}"


@pytest.mark.browser
@pytest.mark.slow
def test_share_page_and_snapshots_page_in_a_browser(live_app: str, chromium, db: str, tmp_path: Path) -> None:
    owner = make_user(name="Ada Admin")
    org = make_org(owner, name="Acme Corp")
    audit = make_completed_audit(org, approver=owner)
    first = snapshots.create_snapshot(actor_for(owner), audit.id)
    second = snapshots.create_snapshot(actor_for(owner), audit.id)
    _link, token = shares.create_link(actor_for(owner), second.id, label="auditor", disclosure="redact")
    keyid = signing.list_public_keys()[0].keyid

    context = chromium.new_context(base_url=live_app, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"/share/{token}")
        wait_for_app_hydration(page)
        signature = page.locator("#share-signature")
        expect(signature).to_have_text(
            f"signed by this installation (key {keyid[:12]}…), sequence 2, chained to snapshot #{first.id}",
            timeout=TIMEOUT)
        expect(page.locator("#share-chain-head")).to_contain_text(f"sequence 2, sha256 {second.checksum}")
        expect(page.locator(".signing-key")).to_contain_text(keyid)
        page.locator("#share-signature").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "share-signature.png"))
        href = page.locator("#download-bundle").get_attribute("href")
        bundle = json.loads(context.request.get(href).body())
        assert list(bundle) == ["snapshot", "checksum", "previous_checksum", "envelope", "public_key"]
        assert bundle["previous_checksum"] == first.checksum
        assert context.request.get("/api/public/keys").json()["keys"][0]["keyid"] == keyid

        login(context, live_app, owner.email, DEFAULT_PASSWORD)
        page.goto(f"/o/{org.slug}/snapshots")
        wait_for_app_hydration(page)
        expect(page.get_by_test_id("chain-head")).to_have_text(
            f"Chain head: sequence 2, sha256 {second.checksum}", timeout=TIMEOUT)
        cells = page.get_by_test_id("snapshot-signature")
        expect(cells.first).to_contain_text(re.compile(rf"sequence 2, chained to snapshot #{first.id}$"))
    finally:
        context.close()
