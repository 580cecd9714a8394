"""Audit lifecycle: idempotent enqueue, claiming, leases and the reaper, schedules, reads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from compliance_app.db import session_scope
from compliance_app.models import (
    Audit,
    AuditStatus,
    Evidence,
    Integration,
    Organization,
    Provider,
    Role,
    ScanFrequency,
    ScanHistory,
)
from compliance_app.models.types import utcnow
from compliance_app.services import audit_queue, engine, scans
from compliance_app.services.authz import Actor
from compliance_app.services.errors import NotFound, PermissionDenied, ValidationError
from compliance_app.settings import get_settings
from tests.factories import actor_for, add_member, make_org, make_user
from tests.scans import fake_checks
from tests.scans.helpers import WORKER, evidence_of, load_audit, run_scan

SYSTEM = Actor.system("test")


def _count(model: type) -> int:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_request_scan_is_idempotent_and_records_who_asked(db: str) -> None:
    owner = make_user()
    org = make_org(owner)
    first = scans.request_scan(actor_for(owner), org.id)
    second = scans.request_scan(actor_for(owner), org.id)
    assert first.id == second.id and first.status == AuditStatus.PENDING
    assert first.triggered_by_id == owner.id
    assert _count(Audit) == 1


def test_concurrent_requests_create_one_audit(db: str) -> None:
    org = make_org()
    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: scans.request_scan(SYSTEM, org.id).id, range(16)))
    assert len(ids) == 1 and _count(Audit) == 1


def test_database_refuses_a_second_active_audit(db: str) -> None:
    org = make_org()
    scans.request_scan(SYSTEM, org.id)
    with pytest.raises(IntegrityError, match="uq_audit_one_active_per_organization"), session_scope() as s:
        s.add(Audit(organization_id=org.id, status=AuditStatus.RUNNING))
    with session_scope() as s:  # finished audits do not count
        s.add(Audit(organization_id=org.id, status=AuditStatus.COMPLETED))
    assert _count(Audit) == 2


def test_viewers_cannot_scan_and_strangers_see_nothing(db: str) -> None:
    org = make_org()
    viewer = add_member(org, role=Role.VIEWER)
    with pytest.raises(PermissionDenied):
        scans.request_scan(actor_for(viewer), org.id)
    with pytest.raises(NotFound):
        scans.request_scan(actor_for(make_user()), org.id)
    assert _count(Audit) == 0


def test_a_new_scan_can_be_requested_once_the_previous_one_finished(db: str) -> None:
    org = make_org()
    done = run_scan(org)
    assert scans.request_scan(SYSTEM, org.id).id != done.id


def test_claim_takes_the_oldest_pending_audit_once(db: str) -> None:
    orgs = [make_org() for _ in range(3)]
    queued = [scans.request_scan(SYSTEM, o.id).id for o in orgs]
    claimed = [audit_queue.claim_next_audit(f"w:{i}") for i in range(4)]
    assert claimed == [*queued, None]
    audit = load_audit(queued[0])
    assert audit.status == AuditStatus.RUNNING and audit.worker_id == "w:0" and audit.attempts == 1
    assert audit.lease_expires_at > utcnow()
    assert not audit_queue.claim_audit(queued[0], "w:9")


def test_concurrent_claims_never_share_an_audit(db: str) -> None:
    queued = {scans.request_scan(SYSTEM, make_org().id).id for _ in range(10)}
    with ThreadPoolExecutor(6) as pool:
        claimed = list(pool.map(lambda i: audit_queue.claim_next_audit(f"w:{i}"), range(14)))
    got = [c for c in claimed if c is not None]
    assert len(got) == len(set(got)) == 10 and set(got) == queued


def test_reaper_requeues_an_expired_lease_then_fails_after_max_attempts(db: str) -> None:
    org = make_org()
    audit_id = scans.request_scan(SYSTEM, org.id).id
    lease = timedelta(seconds=get_settings().audit_lease_seconds + 1)
    for attempt in range(1, get_settings().audit_max_attempts + 1):
        assert audit_queue.claim_next_audit(f"w:{attempt}") == audit_id
        assert audit_queue.reap_expired_leases().requeued == []  # lease still valid
        result = audit_queue.reap_expired_leases(now=utcnow() + lease)
        audit = load_audit(audit_id)
        if attempt < get_settings().audit_max_attempts:
            assert result.requeued == [audit_id]
            assert audit.status == AuditStatus.PENDING and audit.worker_id is None
    assert result.failed == [audit_id]
    assert audit.status == AuditStatus.FAILED and audit.attempts == 3
    assert audit.error == "The worker running this audit stopped responding (w:3); gave up after 3 attempts."


def test_a_worker_that_lost_its_lease_cannot_write(db: str) -> None:
    org = make_org()
    audit_id = scans.request_scan(SYSTEM, org.id).id
    assert audit_queue.claim_next_audit("slow") == audit_id
    audit_queue.reap_expired_leases(now=utcnow() + timedelta(hours=1))
    assert audit_queue.claim_next_audit("fresh") == audit_id

    assert not audit_queue.heartbeat(audit_id, "slow")
    assert audit_queue.complete(audit_id, "slow") is None
    assert not audit_queue.fail(audit_id, "slow", "boom")
    assert engine.run_audit(audit_id, "slow", checks=fake_checks.CHECKS, sessions=[]) is None
    audit = load_audit(audit_id)
    assert audit.status == AuditStatus.RUNNING and audit.worker_id == "fresh" and audit.attempts == 2


def test_a_rerun_replaces_evidence_left_by_a_dead_attempt(db: str) -> None:
    org = make_org()
    first = run_scan(org)
    with session_scope() as s:  # pretend the audit died mid-way and was re-queued
        audit = s.get(Audit, first.id)
        audit.status, audit.worker_id = AuditStatus.RUNNING, WORKER
    engine.run_audit(first.id, WORKER, checks=fake_checks.CHECKS,
                     sessions=[(Provider.GITHUB, fake_checks.FakeSession())])
    assert len(evidence_of(first.id)) == fake_checks.EVIDENCE_PER_AUDIT


def _integrate(org: Organization, frequency: ScanFrequency) -> None:
    with session_scope() as s:
        s.add(Integration(organization_id=org.id, provider=Provider.GITHUB, config={"org": "x"}))
        s.get(Organization, org.id).scan_frequency = frequency


def test_enqueue_due_scans_follows_each_schedule(db: str) -> None:
    daily, hourly, off, bare = make_org(), make_org(), make_org(), make_org()
    _integrate(daily, ScanFrequency.DAILY)
    _integrate(hourly, ScanFrequency.HOURLY)
    _integrate(off, ScanFrequency.OFF)  # bare: daily by default but nothing connected

    now = utcnow()
    first = audit_queue.enqueue_due_scans(now)
    assert len(first) == 2
    assert audit_queue.enqueue_due_scans(now) == []  # idempotent while active
    with session_scope() as s:
        by_org = {a.organization_id: a for a in s.exec(select(Audit)).all()}
        assert set(by_org) == {daily.id, hourly.id}
        assert all(a.triggered_by_id is None for a in by_org.values())
        for a in by_org.values():
            a.status = AuditStatus.COMPLETED
    assert audit_queue.enqueue_due_scans(now + timedelta(minutes=30)) == []
    later = audit_queue.enqueue_due_scans(now + timedelta(hours=1))
    with session_scope() as s:
        assert {s.get(Audit, a).organization_id for a in later} == {hourly.id}
    assert len(audit_queue.enqueue_due_scans(now + timedelta(days=1))) == 1  # daily; hourly still active
    assert bare.id not in {a.organization_id for a in scans.list_audits(SYSTEM, bare.id).items}


def test_a_downgraded_hourly_schedule_runs_daily(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    get_settings.cache_clear()
    try:
        org = make_org()  # free plan: hourly is not allowed
        _integrate(org, ScanFrequency.HOURLY)
        now = utcnow()
        [first] = audit_queue.enqueue_due_scans(now)
        with session_scope() as s:
            s.get(Audit, first).status = AuditStatus.COMPLETED
        assert audit_queue.enqueue_due_scans(now + timedelta(hours=2)) == []
        assert len(audit_queue.enqueue_due_scans(now + timedelta(days=1))) == 1
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_scan_history_keeps_the_last_audit_of_the_day(db: str) -> None:
    org = make_org()
    first = run_scan(org)
    second = run_scan(org, checks=[fake_checks.FakeAllPass()])
    assert (first.score, second.score) == (33, 100)  # per check (per resource 67)
    with session_scope() as s:
        rows = s.exec(select(ScanHistory).where(ScanHistory.organization_id == org.id)).all()
        assert len(rows) == 1
        row = rows[0]
        assert (row.audit_id, row.score, row.total_pass, row.total_fail, row.total_error) == (
            second.id, 100, 1, 0, 0)  # checks, not resources
        # an older completion arriving late (slow worker) does not overwrite the newer figures
        audit_queue.upsert_scan_history(s, load_audit(first.id))
    with session_scope() as s:
        assert s.exec(select(ScanHistory)).one().audit_id == second.id


def test_list_and_read_audits_with_authorization(db: str) -> None:
    owner = make_user()
    org = make_org(owner)
    me = actor_for(owner)
    done = run_scan(org)
    pending = scans.request_scan(me, org.id)

    page = scans.list_audits(me, org.id)
    assert [a.id for a in page.items] == [pending.id, done.id] and page.total == 2
    assert [a.id for a in scans.list_audits(me, org.id, status="COMPLETED").items] == [done.id]
    assert scans.list_audits(me, org.id, since=utcnow()).total == 0
    assert scans.list_audits(me, org.id, page=2, page_size=1).items[0].id == done.id
    with pytest.raises(ValidationError, match="Unknown audit status"):
        scans.list_audits(me, org.id, status="DONE")

    assert scans.get_audit(me, str(done.id)).score == 33
    progress = scans.get_audit_progress(me, done.id)
    assert progress["status"] == "COMPLETED" and progress["progress_done"] == 4

    stranger = actor_for(make_user())
    for call in (scans.get_audit, scans.get_audit_progress, scans.list_evidence):
        with pytest.raises(NotFound, match="Audit not found"):
            call(stranger, done.id)
    with pytest.raises(NotFound, match="Audit not found"):
        scans.get_audit(me, "not-a-uuid")


def test_list_evidence_filters_searches_and_sorts(db: str) -> None:
    owner = make_user()
    org = make_org(owner)
    me = actor_for(owner)
    audit = run_scan(org)

    everything = scans.list_evidence(me, audit.id)
    assert everything.total == 6
    assert [e.status for e in everything.items][:3] == ["FAIL", "ERROR", "ERROR"]
    fails = scans.list_evidence(me, audit.id, status="FAIL").items
    assert [(e.question_key, e.resource_id) for e in fails] == [("fake_one_fails", "repo-a")]
    assert fails[0].raw_data == {"repo": "repo-a", "on": False} and fails[0].severity == "critical"
    assert scans.list_evidence(me, audit.id, search="REPO-B").total == 2
    assert scans.list_evidence(me, audit.id, severity="high").total == 2
    by_severity = scans.list_evidence(me, audit.id, sort="severity").items
    assert by_severity[0].severity == "critical" and by_severity[-1].severity == "low"
    with pytest.raises(ValidationError, match="Sort by one of"):
        scans.list_evidence(me, audit.id, sort="colour")
    assert _count(Evidence) == 6
