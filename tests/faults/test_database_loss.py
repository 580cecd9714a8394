"""PostgreSQL lost in the middle of a scan (issue 17, fault 1).

A real worker process reaches PostgreSQL through a loopback proxy; the proxy drops every
connection and refuses new ones for ten seconds while the worker has evidence on disk,
evidence waiting to be written and checks still running. The worker must live through
it and finish the audit with every evidence row exactly once and one ScanHistory row for
the day, leaving the audits that were there before untouched.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from compliance_app.models import AuditStatus, Provider
from compliance_app.services import audit_queue, engine, scans
from compliance_app.services.authz import Actor
from tests.factories import make_org
from tests.faults import steady_checks
from tests.faults.ledger import audit, read_ledger, wait_until
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


def test_worker_outlives_postgresql_lost_mid_scan(db: str, tmp_path: Path) -> None:
    org = make_org()
    _completed_audit(org.id)
    before = read_ledger(org.id)
    assert list(before.history.values()) == [1] and before.duplicates == 0

    with TcpProxy(make_url(db).port or 5432) as proxy:
        worker = WorkerProcess(tmp_path / "worker.log", {
            "DATABASE_URL": make_url(db).set(port=proxy.port).render_as_string(hide_password=False),
            "ENGINE_OVERRIDE_MODULE": "tests.faults.steady_checks",
            "STEADY_CHECK_SECONDS": "0.8",
            "CHECK_CONCURRENCY": str(steady_checks.COUNT),
            "WORKER_POLL_SECONDS": "0.2",
            "AUDIT_LEASE_SECONDS": "30",
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
            assert "database unavailable" in worker.output()
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
