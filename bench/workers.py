"""Throughput of 1 vs 2 worker processes over 40 queued audits, on PostgreSQL.

    .venv/bin/python -m bench workers   [--audits 40] [--latency 0.05] [--repeat 2]

Each audit runs bench/_latency_checks.py (10 checks x 4 simulated API calls of 50 ms,
through ENGINE_OVERRIDE_MODULE) in real `python -m compliance_app worker` processes that
share the queue. The clock starts when the audits are committed (workers already idle and
polling) and stops at the last finished_at; rounds are interleaved and the best time of
each configuration is kept (the machine is shared). Target: 2 workers >= 1.8x the
throughput of 1.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 1.8


def _start_workers(n: int, url: str, latency: float, logs: Path) -> list[subprocess.Popen]:
    from compliance_app.settings import PROJECT_ROOT

    env = {**os.environ, "DATABASE_URL": url, "ENGINE_OVERRIDE_MODULE": "bench._latency_checks",
           "BENCH_LATENCY": str(latency), "WORKER_POLL_SECONDS": "0.1", "AUDIT_LEASE_SECONDS": "30"}
    procs = []
    for i in range(n):
        sink = (logs / f"worker-{n}-{i}.log").open("w")
        procs.append(subprocess.Popen([sys.executable, "-m", "compliance_app", "worker"], cwd=PROJECT_ROOT,
                                      env=env, stdout=sink, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 60
    for i, proc in enumerate(procs):
        while "ready" not in (logs / f"worker-{n}-{i}.log").read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((logs / f"worker-{n}-{i}.log").read_text())
            time.sleep(0.1)
    return procs


def _run(n_workers: int, org_ids: list, url: str, latency: float, logs: Path) -> tuple[float, int]:
    """Seconds from enqueue to the last completion, and how many distinct workers ran audits."""
    import sqlalchemy as sa

    from compliance_app.db import get_engine, session_scope
    from compliance_app.models import Audit, AuditStatus

    with get_engine().begin() as conn:
        conn.execute(sa.text("TRUNCATE audit, evidence, scan_history CASCADE"))
    procs = _start_workers(n_workers, url, latency, logs)
    try:
        start = time.time()
        with session_scope() as s:
            s.add_all(Audit(organization_id=o) for o in org_ids)
        deadline = time.monotonic() + 600
        while True:
            with session_scope() as s:
                audits = s.exec(sa.select(Audit)).scalars().all()
            if all(a.status in (AuditStatus.COMPLETED, AuditStatus.FAILED) for a in audits):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("audits did not finish within 10 minutes")
            time.sleep(0.05)
        failed = [a.error for a in audits if a.status != AuditStatus.COMPLETED]
        if failed:
            raise RuntimeError(f"{len(failed)} audits failed: {failed[0]}")
        last = max(a.finished_at for a in audits).timestamp()
        return last - start, len({a.worker_id for a in audits})
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench workers")
    parser.add_argument("--audits", type=int, default=40)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=2, help="Rounds; the best time of each is kept")
    args = parser.parse_args(argv)

    from tests.support.scratch_db import scratch_database

    with scratch_database() as url, tempfile.TemporaryDirectory() as tmp:
        from compliance_app.db import session_scope
        from compliance_app.models import Organization, ScanFrequency, User

        with session_scope() as s:
            owner = User(email="bench@example.com", password_hash="x", name="Bench")
            s.add(owner)
            s.flush()
            orgs = [Organization(name=f"Bench {i}", slug=f"bench-{i}", owner_id=owner.id,
                                 scan_frequency=ScanFrequency.OFF) for i in range(args.audits)]
            s.add_all(orgs)
        org_ids = [o.id for o in orgs]
        results: dict[int, float] = {}
        for round_ in range(args.repeat):
            for n in (1, 2):  # interleaved, so load from other processes hits both alike
                seconds, used = _run(n, org_ids, url, args.latency, Path(tmp))
                results[n] = min(results.get(n, seconds), seconds)
                print(f"round {round_ + 1}: {n} worker(s): {args.audits} audits in {seconds:.2f} s = "
                      f"{args.audits / seconds:.2f} audits/s ({used} worker(s) took work)")
    for n, seconds in results.items():
        print(f"best {n} worker(s): {seconds:.2f} s = {args.audits / seconds:.2f} audits/s")
    ratio = results[1] / results[2]
    verdict = "ok" if ratio >= TARGET_RATIO else "MISSED"
    print(f"throughput ratio 2 vs 1 workers: {ratio:.2f}x (target >= {TARGET_RATIO}x) {verdict}")
    return 0 if ratio >= TARGET_RATIO else 1
