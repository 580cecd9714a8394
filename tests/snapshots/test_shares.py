"""Public links: creation, the identical 404 for every bad token, no secrets, view counts, PDF."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.testclient import TestClient

from compliance_app.api.public import ROUTES
from compliance_app.db import get_engine, session_scope
from compliance_app.models import Integration, Provider, PublicLink, Role
from compliance_app.services import crypto, shares, snapshots
from compliance_app.services.errors import NotFound, PermissionDenied, ValidationError
from compliance_app.services.snapshot_pdf import render_snapshot_pdf
from tests.factories import actor_for, add_member, make_org, make_user
from tests.snapshots.factory import make_completed_audit

SECRET_TOKEN = "ghp_SnapshotLeakCanary0123456789abcdefXYZ"


@pytest.fixture
def client() -> TestClient:
    return TestClient(Starlette(routes=ROUTES))


def _shared_snapshot():
    owner = make_user(name="Owner")
    org = make_org(owner, name="Acme Corp")
    with session_scope() as s:
        s.add(Integration(organization_id=org.id, provider=Provider.GITHUB, name="acme",
                          config={"github_org": "acme"},
                          secret_encrypted=crypto.encrypt_json({"token": SECRET_TOKEN}),
                          secret_hint=SECRET_TOKEN[-4:]))
    audit = make_completed_audit(org, approver=owner)
    summary = snapshots.create_snapshot(actor_for(owner), audit.id)
    return owner, org, summary


def test_parse_expires_in():
    assert shares.parse_expires_in("7d") == timedelta(days=7)
    assert shares.parse_expires_in("12h") == timedelta(hours=12)
    assert shares.parse_expires_in("2W") == timedelta(weeks=2)
    for bad, message in (("7x", "Invalid expiry '7x'"), ("", "Invalid expiry"), ("-1d", "Invalid expiry"),
                         ("0d", "above zero"), ("366d", "at most one year")):
        with pytest.raises(ValidationError, match=message):
            shares.parse_expires_in(bad)


def test_create_link_stores_only_a_hash_and_checks_roles(db):
    owner, org, summary = _shared_snapshot()
    link, token = shares.create_link(actor_for(owner), summary.id, timedelta(days=7), label=" auditor ")
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    with session_scope() as s:
        row = s.get(PublicLink, link.id)
        assert row.token_hash == crypto.hash_token(token) and token not in row.token_hash
    assert link.label == "auditor" and link.status == "active"
    assert timedelta(days=6, hours=23) < link.expires_at - link.created_at <= timedelta(days=7, minutes=1)
    member = add_member(org, role=Role.MEMBER)
    with pytest.raises(PermissionDenied):
        shares.create_link(actor_for(member), summary.id)
    with pytest.raises(PermissionDenied):
        shares.list_links(actor_for(member), org.id)
    with pytest.raises(ValidationError, match="at most one year"):
        shares.create_link(actor_for(owner), summary.id, timedelta(days=366))
    with pytest.raises(ValidationError, match="label is too long"):
        shares.create_link(actor_for(owner), summary.id, label="x" * 201)
    # Another organization's admin cannot link, list or revoke this organization's snapshot.
    stranger = make_user()
    make_org(stranger)
    with pytest.raises(NotFound):
        shares.create_link(actor_for(stranger), summary.id)
    with pytest.raises(NotFound):
        shares.revoke_link(actor_for(stranger), link.id)


def test_every_invalid_token_gets_the_same_404(db, client):
    owner, _org, summary = _shared_snapshot()
    actor = actor_for(owner)
    _live, live_token = shares.create_link(actor, summary.id, disclosure="full")
    revoked, revoked_token = shares.create_link(actor, summary.id)
    shares.revoke_link(actor, revoked.id)
    expired, expired_token = shares.create_link(actor, summary.id, timedelta(hours=1))
    with session_scope() as s:
        s.get(PublicLink, expired.id).expires_at = expired.created_at - timedelta(seconds=1)
    # A live token of another organization's snapshot must not open this one in any form.
    other_owner = make_user()
    other_org = make_org(other_owner)
    other = snapshots.create_snapshot(actor_for(other_owner), make_completed_audit(other_org).id)
    _o, other_token = shares.create_link(actor_for(other_owner), other.id, disclosure="full")
    forged = crypto.new_token(32)
    bad_tokens = [
        revoked_token, expired_token, forged, "malformed", "%20", "a" * 5000, str(summary.id),
        str(other.id), live_token[:-1], live_token.upper(), crypto.hash_token(live_token),
        f"{live_token}/extra", "a/b/c", "",
    ]
    bodies = set()
    for token in bad_tokens:
        for suffix in ("", "/pdf"):
            response = client.get(f"/api/public/snapshots/{token}{suffix}")
            assert response.status_code == 404, token
            assert response.headers["x-robots-tag"] == "noindex, nofollow"
            assert response.headers["cache-control"] == "no-store"
            bodies.add((response.content, response.headers["content-type"]))
    assert bodies == {(b'{"error":"Link not found or expired."}', "application/json")}
    with pytest.raises(NotFound, match=r"^Link not found or expired\.$"):
        shares.resolve_public(revoked_token)
    ok = client.get(f"/api/public/snapshots/{live_token}")
    assert ok.status_code == 200 and ok.json()["checksum"] == summary.checksum
    other_doc = client.get(f"/api/public/snapshots/{other_token}").json()
    assert other_doc["checksum"] == other.checksum != summary.checksum


def test_public_json_contains_no_secret_and_counts_views(db, client):
    owner, org, summary = _shared_snapshot()
    link, token = shares.create_link(actor_for(owner), summary.id, label="auditor")
    first = client.get(f"/api/public/snapshots/{token}")
    assert first.status_code == 200
    assert first.headers["x-robots-tag"] == "noindex, nofollow"
    assert first.headers["cache-control"] == "no-store"
    text = first.text
    with session_scope() as s:
        encrypted = s.exec(sa.select(Integration.secret_encrypted)).scalar_one()
    for secret in (SECRET_TOKEN, encrypted, crypto.hash_token(token), token, owner.email, str(org.id)):
        assert secret not in text
    doc = first.json()
    assert set(doc) == {"snapshot", "checksum", "algorithm", "created_at", "disclosure", "original_checksum"}
    assert doc["disclosure"] == "redact" and doc["original_checksum"] == summary.checksum
    client.get(f"/api/public/snapshots/{token}/pdf")
    [listed] = shares.list_links(actor_for(owner), org.slug)
    assert listed.view_count == 2 and listed.last_viewed_at is not None
    assert listed.status == "active" and listed.label == "auditor"
    shares.revoke_link(actor_for(owner), link.id)
    assert client.get(f"/api/public/snapshots/{token}").status_code == 404
    [after] = shares.list_links(actor_for(owner), org.slug)
    assert after.status == "revoked" and after.view_count == 2


def test_pdf_has_the_checksum_on_every_page(db, client, tmp_path):
    owner, _org, summary = _shared_snapshot()
    # Enough evidence for several pages.
    with get_engine().begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO evidence (audit_id, question_id, status, resource_id, message, raw_data, "
            "remediation_steps, created_at) SELECT audit_id, question_id, 'PASS', 'bucket-' || g, '', '{}', '', "
            "now() FROM evidence, generate_series(1, 60) g WHERE audit_id = :a LIMIT 150"),
            {"a": str(summary.audit_id)})
    big = snapshots.create_snapshot(actor_for(owner), summary.audit_id)
    _link, token = shares.create_link(actor_for(owner), big.id, disclosure="full")
    response = client.get(f"/api/public/snapshots/{token}/pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    pdf = tmp_path / "s.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 3
    assert all(big.checksum in page for page in pages)
    assert "Acme Corp" in pages[0] and "Score: 72/100" in pages[0] and "SOC 2" in pages[0]
    assert json.loads(client.get(f"/api/public/snapshots/{token}").content)["checksum"] == big.checksum


def _pdf_text(tmp_path, data: dict, checksum: str) -> str:
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render_snapshot_pdf(data, checksum, "2026-12-01T10:00:00+00:00"))
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_pdf_shows_what_the_score_counted_and_the_checks(db, tmp_path):
    owner, _org, summary = _shared_snapshot()
    snap = snapshots.get_snapshot(actor_for(owner), summary.id)
    text = _pdf_text(tmp_path, snap.data, snap.checksum)
    assert "Score: 72/100" in text and "scored 3 of 3 checks (0 could not run)" in text
    assert "Checks (3)" in text and "1 of 2 resources failing" in text
    assert "Checks — FAIL: 1 ERROR: 0 RISK_ACCEPTED: 1 PASS: 1 NOT_APPLICABLE: 0" in text

    old = {k: v for k, v in snap.data.items() if k != "checks"}  # frozen before per-check scoring
    text = _pdf_text(tmp_path, old, snap.checksum)
    assert "scored per resource (before 2 Dec 2026)" in text and "Checks (" not in text
