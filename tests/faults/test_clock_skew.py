"""Workers whose clocks are wrong, run under Debian's faketime.

The worker gets the faketime package's libfaketime through LD_PRELOAD, as the `faketime`
command does, minus the wrapper process (which would stand between the test and the
worker's pid and signals).

On PostgreSQL every lease and schedule time comes from the database's clock, so a worker
five minutes behind writes leases the others agree are live and stamps its scheduled
audit with the real time (the next one is due a full interval later, not five minutes
early), and a worker five minutes ahead does not take over a live lease it thinks lapsed.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from compliance_app.db import session_scope
from compliance_app.models import Audit, AuditStatus, Integration, Organization, Provider, ScanFrequency
from compliance_app.services import audit_queue, scans
from compliance_app.services.authz import Actor
from tests.factories import make_org
from tests.faults import steady_checks
from tests.faults.ledger import audit, read_ledger, wait_until
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.slow

LEASE_SECONDS = 30
#: Debian's faketime package, the multi-threaded flavour (the worker runs threads).
LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")


def _db_now() -> datetime:
    with session_scope() as s:
        return s.execute(sa.select(sa.func.now())).scalar_one()


def _skewed_worker(db: str, log: Path, offset: str) -> WorkerProcess:
    if not LIBFAKETIME.exists():
        pytest.fail("faketime is not installed: `apt-get install -y faketime` (.ci/run does this)")
    return WorkerProcess(log, {
        "DATABASE_URL": db,
        "ENGINE_OVERRIDE_MODULE": "tests.faults.steady_checks",
        "STEADY_CHECK_SECONDS": "0.2",
        "CHECK_CONCURRENCY": str(steady_checks.COUNT),
        "WORKER_POLL_SECONDS": "0.2",
        "AUDIT_LEASE_SECONDS": str(LEASE_SECONDS),
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME": offset,
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",  # only the wall clock is wrong, as on a badly synced host
    })


def _scheduled_org() -> Organization:
    """Hourly scans, an integration, and a last audit two hours old: due now."""
    org = make_org()
    with session_scope() as s:
        s.add(Integration(organization_id=org.id, provider=Provider.GITHUB, config={"org": "x"}))
        s.get(Organization, org.id).scan_frequency = ScanFrequency.HOURLY
        s.add(Audit(organization_id=org.id, status=AuditStatus.COMPLETED, created_at=_db_now() - timedelta(hours=2),
                    counts={}))
    return org


def _held_by_another() -> Audit:
    """An audit a healthy worker is running: its lease is live for LEASE_SECONDS by the database clock."""
    audit_id = scans.request_scan(Actor.system("test"), make_org().id).id
    with session_scope() as s:
        s.execute(sa.update(Audit).where(Audit.id == audit_id).values(
            status=AuditStatus.RUNNING, worker_id="healthy-worker", attempts=1,
            lease_expires_at=sa.func.now() + timedelta(seconds=LEASE_SECONDS)))
    return audit(audit_id)


def test_skewed_workers_neither_steal_leases_nor_run_schedules_early(db: str, tmp_path: Path) -> None:
    org = _scheduled_org()
    held = _held_by_another()
    before = read_ledger(org.id)

    behind = _skewed_worker(db, tmp_path / "behind.log", "-5m")
    ahead: WorkerProcess | None = None
    try:
        behind.wait_ready()
        wait_until(lambda: _scheduled_audit(org) is not None, 20, "the behind worker to queue the due scan")
        scheduled = _scheduled_audit(org)
        assert scheduled is not None
        wait_until(lambda: audit(scheduled.id).status == AuditStatus.RUNNING, 20, "the behind worker's claim")
        running, now = audit(scheduled.id), _db_now()
        assert running.worker_id == behind.worker_id
        assert abs(running.created_at - now) < timedelta(seconds=10)  # not five minutes in the past
        assert running.lease_expires_at > now + timedelta(seconds=LEASE_SECONDS - 10)
        # a healthy worker's reaper (this process, correct clock) sees a live lease: nothing to take
        assert audit_queue.reap_expired_leases().requeued == []

        ahead = _skewed_worker(db, tmp_path / "ahead.log", "+5m")
        ahead.wait_ready()  # its reaper runs as it starts, with a clock that says both leases lapsed
        time.sleep(1.5)  # (the scheduler's first reap is queued at start; its outcome is in the database)

        wait_until(lambda: audit(scheduled.id).status == AuditStatus.COMPLETED, 30, "the scheduled scan")
        done, still_held = audit(scheduled.id), audit(held.id)
        assert (done.worker_id, done.attempts) == (behind.worker_id, 1)
        assert (still_held.status, still_held.worker_id, still_held.attempts) == \
            (AuditStatus.RUNNING, "healthy-worker", 1)
        assert " started on " not in ahead.output()
    finally:
        codes = [w.stop() for w in (behind, ahead) if w is not None]
    assert codes == [0, 0]

    after = read_ledger(org.id)
    assert after.evidence == {**before.evidence, scheduled.id: steady_checks.EVIDENCE_PER_AUDIT}
    assert after.duplicates == 0 and list(after.history.values()) == [1]
    # the next hourly scan is due an hour after the real time the behind worker queued this one
    now = _db_now()
    assert audit_queue.enqueue_due_scans(now + timedelta(minutes=57)) == []
    assert len(audit_queue.enqueue_due_scans(now + timedelta(minutes=61))) == 1


def _scheduled_audit(org: Organization) -> Audit | None:
    with session_scope() as s:
        return s.exec(
            sa.select(Audit).where(Audit.organization_id == org.id, Audit.triggered_by_id.is_(None),
                                   Audit.status != AuditStatus.COMPLETED)
        ).scalars().first()
