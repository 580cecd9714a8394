"""Snapshot creation, integrity (checksum, trigger, verify), pinning and retention."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from compliance_app.db import get_engine, session_scope
from compliance_app.models import AuditSnapshot, AuditStatus, PublicLink, Role
from compliance_app.models.types import utcnow
from compliance_app.services import shares, snapshots
from compliance_app.services.authz import Actor
from compliance_app.services.errors import NotFound, PermissionDenied, ValidationError
from compliance_app.services.readiness import framework_readiness
from compliance_app.services.snapshot_figures import snapshot_figures
from tests.factories import actor_for, add_member, make_org, make_user
from tests.snapshots.factory import make_completed_audit

TAMPER = "UPDATE audit_snapshot SET data = jsonb_set(data, '{audit,score}', '100') WHERE id = :id"


def _org_with_audit():
    owner = make_user(name="Ada Admin")
    org = make_org(owner, name="Acme Corp")
    audit = make_completed_audit(org, approver=owner)
    return owner, org, audit


def test_snapshot_holds_the_full_dump_and_its_checksum(db):
    owner, org, audit = _org_with_audit()
    member = add_member(org, role=Role.MEMBER)
    summary = snapshots.create_snapshot(actor_for(member), audit.id)
    snap = snapshots.get_snapshot(actor_for(owner), summary.id)
    data = snap.data
    assert data["organization"] == {"name": "Acme Corp", "slug": org.slug}
    assert data["audit"]["id"] == str(audit.id)
    # per check: critical PASS (10), high FAIL (its other row is ERROR), medium RISK_ACCEPTED (3): 13/18
    assert data["audit"]["score"] == 72
    assert data["audit"]["counts"] == {"PASS": 1, "FAIL": 1, "RISK_ACCEPTED": 1, "ERROR": 1, "NOT_APPLICABLE": 0}
    assert data["audit"]["check_counts"] == {"PASS": 1, "FAIL": 1, "RISK_ACCEPTED": 1, "ERROR": 0,
                                             "NOT_APPLICABLE": 0}
    assert data["audit"]["scored"] == "scored 3 of 3 checks (0 could not run)"
    assert [(c["question_key"], c["result"], c["resources"]["FAIL"], sum(c["resources"].values()))
            for c in data["checks"]] == [
        ("aws_s3_bucket_encrypted", "FAIL", 1, 2),
        ("aws_iam_root_mfa", "RISK_ACCEPTED", 0, 1),
        ("github_org_2fa_required", "PASS", 0, 1),
    ]
    assert summary.score_basis == "scored 3 of 3 checks (0 could not run)"
    assert len(data["evidence"]) == 4
    failing = next(e for e in data["evidence"] if e["status"] == "FAIL")
    assert failing["question_key"] == "aws_s3_bucket_encrypted"
    assert failing["severity"] == "high"
    assert failing["frameworks"] == {"SOC 2": ["CC6.7"], "ISO 27001": ["8.24"]}
    assert failing["remediation_steps"] == "Enable SSE-KMS on the bucket."
    assert failing["raw_data"] == {"encryption": None, "ratio": 0.5}
    # Only the file name, never the private storage path.
    assert failing["screenshot"] == "proof.png"
    assert "/srv/private" not in json.dumps(data)
    [acceptance] = data["risk_acceptances"]
    assert acceptance["question_key"] == "aws_iam_root_mfa"
    assert acceptance["approved_by"] == "Ada Admin"
    assert owner.email not in json.dumps(data)
    assert snap.checksum == hashlib.sha256(snapshots.canonical_bytes(data)).hexdigest()
    assert snapshots.verify_snapshot(actor_for(member), summary.id).valid


def test_checksum_survives_numbers_jsonb_rewrites(db):
    """1e+20 comes back from JSONB as an integer: the checksum must cover the stored form."""
    owner, _org, audit = _org_with_audit()
    with session_scope() as s:
        s.execute(sa.text("UPDATE evidence SET raw_data = CAST(:d AS jsonb) WHERE status = 'PASS'"),
                  {"d": '{"big": 1e20, "small": 1e-7, "f": 1.0, "z": -0.0, "frac": 12345678901234567890.5, '
                        '"huge": 1E400, "neg": -2.5e-3, "list": [0.1, 3, 1e16]}'})
    summary = snapshots.create_snapshot(actor_for(owner), audit.id)
    assert snapshots.verify_snapshot(actor_for(owner), summary.id).valid
    with get_engine().connect() as conn:
        stored = conn.execute(sa.text("SELECT data, checksum FROM audit_snapshot")).one()
    assert snapshots.compute_checksum(stored.data) == stored.checksum


def test_only_completed_audits_and_only_members(db):
    owner = make_user()
    org = make_org(owner)
    running = make_completed_audit(org, status=AuditStatus.FAILED)
    with pytest.raises(ValidationError, match="only a completed audit"):
        snapshots.create_snapshot(actor_for(owner), running.id)
    audit = make_completed_audit(org)
    viewer = add_member(org, role=Role.VIEWER)
    with pytest.raises(PermissionDenied):
        snapshots.create_snapshot(actor_for(viewer), audit.id)
    with pytest.raises(NotFound):
        snapshots.create_snapshot(actor_for(make_user()), audit.id)
    with pytest.raises(ValidationError):
        snapshots.create_snapshot(actor_for(owner), "not-a-uuid")


def test_public_json_recomputes_to_the_stored_checksum(db):
    """The DESIGN.md §5 one-liner, applied to the public JSON as a stranger downloads it."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from compliance_app.api.public import ROUTES

    owner, _org, audit = _org_with_audit()
    summary = snapshots.create_snapshot(actor_for(owner), audit.id)
    _link, token = shares.create_link(actor_for(owner), summary.id, disclosure="full")
    response = TestClient(Starlette(routes=ROUTES)).get(f"/api/public/snapshots/{token}")
    doc = json.loads(response.content)
    recomputed = hashlib.sha256(
        json.dumps(doc["snapshot"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    assert recomputed == doc["checksum"] == summary.checksum
    assert doc["algorithm"] == "sha256"


def test_postgres_refuses_an_update_of_data(db):
    owner, _org, audit = _org_with_audit()
    summary = snapshots.create_snapshot(actor_for(owner), audit.id)
    for column, value in (("data", "'{}'::jsonb"), ("checksum", "'0'"), ("created_at", "now()")):
        with pytest.raises(sa.exc.DBAPIError, match="immutable"), get_engine().begin() as conn:
            conn.execute(sa.text(f"UPDATE audit_snapshot SET {column} = {value} WHERE id = :id"),
                         {"id": summary.id})
    assert snapshots.verify_snapshot(actor_for(owner), summary.id).valid


def test_tampering_without_the_trigger_shows_as_invalid(db):
    """Drop the trigger inside a transaction that is rolled back, so the shared DB keeps it."""
    owner, _org, audit = _org_with_audit()
    summary = snapshots.create_snapshot(actor_for(owner), audit.id)
    actor = actor_for(owner)
    engine = get_engine()
    conn = engine.connect()
    tx = conn.begin()
    try:
        conn.execute(sa.text("DROP TRIGGER audit_snapshot_immutable ON audit_snapshot"))
        conn.execute(
            sa.text(TAMPER), {"id": summary.id},
        )
        # Verify exactly as the service does, reading through this (uncommitted) transaction.
        data, stored = conn.execute(
            sa.text("SELECT data, checksum FROM audit_snapshot WHERE id = :id"), {"id": summary.id}
        ).one()
        assert data["audit"]["score"] == 100
        assert snapshots.compute_checksum(data) != stored
    finally:
        tx.rollback()
        conn.close()
    # The trigger is back and the data untouched.
    with engine.connect() as c:
        assert c.execute(sa.text(
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_snapshot_immutable'")).scalar() == 1
    assert snapshots.verify_snapshot(actor, summary.id).valid


def test_verify_reports_invalid_after_tampering_committed(db):
    """The service path end to end: trigger disabled for one committed UPDATE, then restored."""
    owner, _org, audit = _org_with_audit()
    summary = snapshots.create_snapshot(actor_for(owner), audit.id)
    with get_engine().begin() as conn:
        conn.execute(sa.text("ALTER TABLE audit_snapshot DISABLE TRIGGER audit_snapshot_immutable"))
        conn.execute(
            sa.text(TAMPER), {"id": summary.id},
        )
        conn.execute(sa.text("ALTER TABLE audit_snapshot ENABLE TRIGGER audit_snapshot_immutable"))
    result = snapshots.verify_snapshot(actor_for(owner), summary.id)
    assert not result.valid
    assert result.stored == summary.checksum != result.recomputed
    listed = snapshots.list_snapshots(actor_for(owner), str(summary.organization_id))
    assert [item.valid for item in listed.items] == [False]


def test_pin_only_by_admin_and_nothing_else_changes(db):
    owner, org, audit = _org_with_audit()
    member = add_member(org, role=Role.MEMBER)
    summary = snapshots.create_snapshot(actor_for(member), audit.id)
    with pytest.raises(PermissionDenied):
        snapshots.set_pinned(actor_for(member), summary.id, True)
    with pytest.raises(NotFound):
        snapshots.set_pinned(actor_for(make_user()), summary.id, True)
    pinned = snapshots.set_pinned(actor_for(owner), summary.id, True)
    assert pinned.is_pinned and pinned.checksum == summary.checksum
    assert snapshots.set_pinned(actor_for(owner), summary.id, False).is_pinned is False
    assert snapshots.verify_snapshot(actor_for(owner), summary.id).valid


def test_retention_deletes_only_old_unpinned_and_their_links(db):
    owner, _org, audit = _org_with_audit()
    actor = actor_for(owner)
    old = snapshots.create_snapshot(actor, audit.id)
    old_pinned = snapshots.create_snapshot(actor, audit.id)
    fresh = snapshots.create_snapshot(actor, audit.id)
    snapshots.set_pinned(actor, old_pinned.id, True)
    link, _token = shares.create_link(actor, old.id)
    other_org = make_org(name="Longer Retention")
    with session_scope() as s:
        s.get(type(other_org), other_org.id).snapshot_retention_days = 400
    other = snapshots.create_snapshot(Actor.system(), make_completed_audit(other_org).id)
    # created_at is immutable for services, so age the rows with the trigger briefly disabled.
    with get_engine().begin() as conn:
        conn.execute(sa.text("ALTER TABLE audit_snapshot DISABLE TRIGGER audit_snapshot_immutable"))
        conn.execute(sa.text("UPDATE audit_snapshot SET created_at = now() - interval '91 days' "
                             "WHERE id = ANY(:ids)"), {"ids": [old.id, old_pinned.id, other.id]})
        conn.execute(sa.text("ALTER TABLE audit_snapshot ENABLE TRIGGER audit_snapshot_immutable"))
    assert snapshots.apply_retention() == 1
    with session_scope() as s:
        remaining = {row.id for row in s.query(AuditSnapshot).all()}
        assert s.get(PublicLink, link.id) is None
    assert remaining == {old_pinned.id, fresh.id, other.id}
    assert snapshots.apply_retention(now=utcnow() + timedelta(days=100)) == 1  # only `fresh` ages out
    assert snapshots.apply_retention() == 0


def test_list_snapshots_by_slug_and_pages(db):
    owner, org, audit = _org_with_audit()
    for _ in range(3):
        snapshots.create_snapshot(actor_for(owner), audit.id)
    viewer = add_member(org, role=Role.VIEWER)
    page = snapshots.list_snapshots(actor_for(viewer), org.slug)
    assert page.total == 3 and len(page.items) == 3 and page.pages == 1
    assert all(item.valid for item in page.items)
    assert page.items[0].id > page.items[-1].id
    with pytest.raises(NotFound):
        snapshots.list_snapshots(actor_for(make_user()), org.slug)


def test_readiness_is_per_control_accepted_passing_errors_apart():
    rows = [
        {"question_key": "a", "status": "PASS", "frameworks": {"SOC 2": ["CC6.1"], "CIS": ["1.5"]}},
        {"question_key": "b", "status": "FAIL", "frameworks": {"SOC 2": ["CC6.7"]}},
        {"question_key": "c", "status": "RISK_ACCEPTED", "frameworks": {"SOC 2": ["CC6.1"]}},
        {"question_key": "d", "status": "ERROR", "frameworks": {"SOC 2": ["CC7.1"], "ISO 27001": ["5.1"]}},
    ]
    by_name = {r.framework: r for r in framework_readiness(rows)}
    assert by_name["SOC 2"].percent == 50 and by_name["SOC 2"].errors == 1  # CC6.1 passes, CC6.7 fails
    assert by_name["CIS"].percent == 100
    assert by_name["ISO 27001"].percent is None and by_name["ISO 27001"].errors == 1


def test_a_snapshot_taken_before_per_check_scoring_keeps_its_data_and_is_labelled(db):
    """Immutable: no per-check results are added to it; its score is shown as per resource."""
    owner, org, audit = _org_with_audit()
    with session_scope() as s:
        data = snapshots.build_snapshot_data(s, s.get(type(audit), audit.id), s.get(type(org), org.id))
    for key in ("scored", "check_counts"):
        del data["audit"][key]
    del data["checks"]
    data["audit"]["score"] = 99  # what the per-resource rule said
    with session_scope() as s:
        s.add(AuditSnapshot(audit_id=audit.id, organization_id=org.id, data=data,
                            checksum=snapshots.compute_checksum(data)))
    [item] = snapshots.list_snapshots(actor_for(owner), org.slug).items
    assert item.valid and item.score == 99
    assert item.score_basis == "scored per resource (before 2 Dec 2026)"
    assert snapshot_figures(snapshots.get_snapshot(actor_for(owner), item.id).data).per_check is False
