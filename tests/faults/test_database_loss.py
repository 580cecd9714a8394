"""PostgreSQL lost in the middle of a scan.

A real worker process reaches PostgreSQL through a loopback proxy; the proxy drops every
connection and refuses new ones for ten seconds while the worker has evidence on disk,
evidence waiting to be written and checks still running. The worker must live through
it and finish the audit with every evidence row exactly once and one ScanHistory row for
the day, leaving the audits that were there before untouched: retrying its writes when
the outage is shorter than the audit's lease, through the reaper when it is longer.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from compliance_app.models import Audit, AuditStatus, Provider
from compliance_app.services import audit_queue, engine, scans
from compliance_app.services.authz import Actor
from tests.factories import make_org
from tests.faults import steady_checks
from tests.faults.ledger import Ledger, audit, read_ledger, wait_until
from tests.scans import fake_checks
from tests.support.tcp_proxy import TcpProxy
from tests.support.worker_process import WorkerProcess

pytestmark = pytest.mark.slow

OUTAGE_SECONDS = 10


def _completed_audit(organization_id) -> None:
    """An audit finished before the fault (in this process, straight to the database)."""
    audit_id = scans.request_scan(Actor.system("test"), organization_id).id
    assert audit_queue.claim_audit(audit_id, "before-the-fault")
    result = engine.run_audit(audit_id, "before-the-fault", fake_checks.CHECKS,
                              [(Provider.GITHUB, fake_checks.FakeSession())])
    assert result is not None and result.status == AuditStatus.COMPLETED


def _scan_through_an_outage(
    db: str, log: Path, *, lease_seconds: int, check_seconds: float
) -> tuple[Ledger, Ledger, Audit, str]:
    """Queue an audit on a worker that reaches PostgreSQL through the proxy, cut the line for
    OUTAGE_SECONDS once evidence is on disk, and wait for the audit to complete.

    Returns the organization's ledger before and after, the audit, and the worker's log."""
    org = make_org()
    _completed_audit(org.id)
    before = read_ledger(org.id)
    assert list(before.history.values()) == [1] and before.duplicates == 0

    with TcpProxy(make_url(db).port or 5432) as proxy:
        worker = WorkerProcess(log, {
            "DATABASE_URL": make_url(db).set(port=proxy.port).render_as_string(hide_password=False),
            "ENGINE_OVERRIDE_MODULE": "tests.faults.steady_checks",
            "STEADY_CHECK_SECONDS": str(check_seconds),
            "CHECK_CONCURRENCY": str(steady_checks.COUNT),
            "WORKER_POLL_SECONDS": "0.2",
            "AUDIT_LEASE_SECONDS": str(lease_seconds),
        })
        try:
            worker.wait_ready()
            audit_id = scans.request_scan(Actor.system("test"), org.id).id
            wait_until(lambda: audit(audit_id).progress_done >= 3, 30, "the first evidence on disk")

            proxy.cut()
            cut_at = time.monotonic()
            while time.monotonic() - cut_at < OUTAGE_SECONDS:
                assert worker.alive(), f"the worker died with the database:\n{worker.output()}"
                time.sleep(0.2)
            assert audit(audit_id).status == AuditStatus.RUNNING
            proxy.restore()

            wait_until(lambda: audit(audit_id).status == AuditStatus.COMPLETED, 60, "the audit to complete")
            assert worker.alive(), worker.output()
            assert "Traceback" not in worker.output()  # one line per retry, not a stack per job run
        finally:
            exit_code = worker.stop()
        assert exit_code == 0, worker.output()
        assert proxy.connections < 50  # bounded traffic: a pool, not a reconnect storm

    after = read_ledger(org.id)
    assert after.evidence == {**before.evidence, audit_id: steady_checks.EVIDENCE_PER_AUDIT}
    assert after.duplicates == 0
    assert after.history == before.history  # still exactly one row for the day, now the newer audit's
    done = audit(audit_id)
    assert done.progress_done == done.progress_total == steady_checks.COUNT
    return before, after, done, worker.output()


def test_worker_outlives_postgresql_lost_mid_scan(db: str, tmp_path: Path) -> None:
    """The outage is shorter than the lease: the worker retries its writes and finishes the audit."""
    _before, _after, done, log = _scan_through_an_outage(db, tmp_path / "worker.log", lease_seconds=30,
                                                           check_seconds=0.8)
    assert done.attempts == 1
    assert "saving evidence: database unavailable" in log


def test_an_audit_outlasting_its_lease_in_an_outage_is_requeued_and_completed(db: str, tmp_path: Path) -> None:
    """The outage outlasts the lease: the worker stops retrying and leaves the audit alone; once
    the database is back its reaper re-queues it, and it runs again from the start (the first
    attempt's evidence replaced, not added to)."""
    _before, _after, done, log = _scan_through_an_outage(db, tmp_path / "worker.log", lease_seconds=4,
                                                           check_seconds=0.15)
    assert done.attempts == 2
    assert "left for the reaper" in log
