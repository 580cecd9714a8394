"""Real worker processes (`python -m compliance_app worker`) sharing the PostgreSQL queue.

They run the fake checks (ENGINE_OVERRIDE_MODULE=tests.scans.fake_checks) with simulated
API latency; short leases and poll intervals come from the environment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlmodel import func, select

from compliance_app.db import session_scope
from compliance_app.models import Audit, AuditStatus, Evidence
from compliance_app.services import scans
from compliance_app.services.authz import Actor
from compliance_app.settings import PROJECT_ROOT
from tests.factories import make_org
from tests.scans.fake_checks import EVIDENCE_PER_AUDIT

pytestmark = pytest.mark.slow


class WorkerProcess:
    def __init__(self, proc: subprocess.Popen, log: Path) -> None:
        self.proc, self.log = proc, log

    @property
    def worker_id(self) -> str:
        return f"{os.uname().nodename}:{self.proc.pid}"

    def output(self) -> str:
        return self.log.read_text()

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while "ready" not in self.output():
            assert self.proc.poll() is None, f"worker exited early:\n{self.output()}"
            assert time.monotonic() < deadline, f"worker not ready:\n{self.output()}"
            time.sleep(0.1)


@pytest.fixture
def start_worker(db: str, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(check_seconds: float = 0.2, lease_seconds: int = 5) -> WorkerProcess:
        env = {
            **os.environ,
            "DATABASE_URL": db,
            "ENGINE_OVERRIDE_MODULE": "tests.scans.fake_checks",
            "FAKE_CHECK_SECONDS": str(check_seconds),
            "WORKER_POLL_SECONDS": "0.2",
            "AUDIT_LEASE_SECONDS": str(lease_seconds),
        }
        log = tmp_path / f"worker-{len(started)}.log"
        with log.open("w") as sink:
            proc = subprocess.Popen([sys.executable, "-m", "compliance_app", "worker"], cwd=PROJECT_ROOT,
                                    env=env, stdout=sink, stderr=subprocess.STDOUT)
        worker = WorkerProcess(proc, log)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.proc.poll() is None:
            worker.proc.kill()
        worker.proc.wait(10)


def _queue(n: int) -> list:
    return [scans.request_scan(Actor.system("test"), make_org().id).id for _ in range(n)]


def _audits(ids: list) -> list[Audit]:
    with session_scope() as s:
        return list(s.exec(select(Audit).where(Audit.id.in_(ids))).all())


def _wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _evidence_per_audit(ids: list) -> dict:
    with session_scope() as s:
        rows = s.exec(
            select(Evidence.audit_id, func.count()).where(Evidence.audit_id.in_(ids)).group_by(Evidence.audit_id)
        ).all()
    return dict(rows)


def test_two_workers_share_twenty_audits_and_run_each_exactly_once(start_worker) -> None:
    workers = [start_worker(), start_worker()]
    for w in workers:
        w.wait_ready()
    ids = _queue(20)
    _wait_until(lambda: all(a.status == AuditStatus.COMPLETED for a in _audits(ids)), 90, "20 audits")

    audits = _audits(ids)
    assert all(a.attempts == 1 for a in audits)
    assert all(a.score == 33 for a in audits)
    assert _evidence_per_audit(ids) == {i: EVIDENCE_PER_AUDIT for i in ids}
    by_worker = {w.worker_id: 0 for w in workers}
    for a in audits:
        by_worker[a.worker_id] += 1
    assert all(n > 0 for n in by_worker.values()), by_worker
    for w in workers:
        assert w.output().count(" started on ") == by_worker[w.worker_id]


def test_kill_9_mid_audit_is_reaped_and_completed_by_another_worker(start_worker) -> None:
    victim = start_worker(check_seconds=3, lease_seconds=2)
    victim.wait_ready()
    [audit_id] = _queue(1)
    # the fast check's evidence is on disk, the slow ones are still running
    _wait_until(lambda: _audits([audit_id])[0].progress_done >= 1, 20, "first evidence")
    assert _audits([audit_id])[0].worker_id == victim.worker_id
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(10)

    rescuer = start_worker(check_seconds=0.2, lease_seconds=2)
    _wait_until(lambda: _audits([audit_id])[0].status == AuditStatus.COMPLETED, 60, "the rescue")
    audit = _audits([audit_id])[0]
    assert audit.worker_id == rescuer.worker_id and audit.attempts == 2
    assert _evidence_per_audit([audit_id]) == {audit_id: EVIDENCE_PER_AUDIT}  # no leftovers from the dead run
    with session_scope() as s:
        assert s.exec(select(func.count()).where(Audit.status == AuditStatus.RUNNING)).one() == 0


def test_sigterm_releases_the_running_audit_and_exits_zero(start_worker) -> None:
    worker = start_worker(check_seconds=5)
    worker.wait_ready()
    [audit_id] = _queue(1)
    _wait_until(lambda: _audits([audit_id])[0].status == AuditStatus.RUNNING, 20, "the claim")
    started = time.monotonic()
    worker.proc.send_signal(signal.SIGTERM)
    assert worker.proc.wait(20) == 0, worker.output()
    assert time.monotonic() - started < 10
    audit = _audits([audit_id])[0]
    assert audit.status == AuditStatus.PENDING and audit.attempts == 0 and audit.worker_id is None
    assert "released" in worker.output()
