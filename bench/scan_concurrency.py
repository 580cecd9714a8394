"""Full GitHub scan with 50 ms latency per API call: wall time vs the sequential sum.

    .venv/bin/python -m bench scan_concurrency   [--latency 0.05] [--repos 10] [--concurrency 8]

Runs the whole GitHub catalog through the scan engine against the local GitHub stand-in
(tests/support/github_server.py, 127.0.0.1 only) with `latency` seconds added to every
request. The sequential sum is what the scan would cost making its API calls one after
another: calls x latency. Prints the scan's wall time against it, and, for reference, the
same scan with one check at a time (the provider session still overlaps some calls and
shares collected data between checks). Target: wall time at most half the sequential sum.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid

from tests.support.github_server import GitHubServer

TARGET_SPEEDUP = 2.0


def _populate(server: GitHubServer, repos: int) -> None:
    for i in range(repos):
        repo = server.add_repo(f"service-{i}", private=i % 3 != 0)
        if i % 2 == 0:
            repo.protect(required_pull_request_reviews={"required_approving_review_count": 1})
    for i in range(12):
        server.add_member(f"dev{i}", two_factor=i % 5 != 0, role="admin" if i < 2 else "member")
    server.add_hook("https://hooks.example.com/ci")


def _scan(org_id: uuid.UUID, concurrency: int) -> tuple[float, str]:
    from compliance_app.db import session_scope
    from compliance_app.models import Audit
    from compliance_app.services import audit_queue, engine, scans
    from compliance_app.services.authz import Actor

    audit = scans.request_scan(Actor.system("bench"), org_id)
    audit_queue.claim_audit(audit.id, "bench:1")
    start = time.perf_counter()
    engine.run_audit(audit.id, "bench:1", concurrency=concurrency)
    elapsed = time.perf_counter() - start
    with session_scope() as s:
        done = s.get(Audit, audit.id)
        return elapsed, f"{done.status}, score {done.score}, {done.counts}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scan_concurrency")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--repos", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=None, help="Default: CHECK_CONCURRENCY")
    args = parser.parse_args(argv)

    from tests.support.scratch_db import scratch_database

    os.environ["ALLOW_PRIVATE_ENDPOINTS"] = "true"  # the stand-in listens on 127.0.0.1
    server = GitHubServer().start()
    try:
        with scratch_database() as _url:
            from compliance_app.checks.registry import checks_for
            from compliance_app.db import session_scope
            from compliance_app.models import Organization, Provider, User
            from compliance_app.services import engine, integrations
            from compliance_app.services.authz import Actor
            from compliance_app.settings import get_settings

            concurrency = args.concurrency or get_settings().check_concurrency
            with session_scope() as s:
                owner = User(email="bench@example.com", password_hash="x", name="Bench")
                s.add(owner)
                s.flush()
                org = Organization(name="Bench", slug="bench", owner_id=owner.id)
                s.add(org)
            integrations.add_github_integration(Actor.system("bench"), org.id, server.token,
                                                server.org_login, server.base_url)
            _populate(server, args.repos)
            engine.ensure_questions(engine.default_checks())  # catalog import is not scan time
            server.latency = args.latency
            figures: dict[str, tuple[float, int]] = {}
            for label, workers in (("concurrent", concurrency), ("sequential", 1)):
                server.requests.clear()
                seconds, outcome = _scan(org.id, workers)
                figures[label] = (seconds, len(server.requests))
                print(f"{label:<10} ({workers} at a time): {seconds:.2f} s, {len(server.requests)} API calls "
                      f"(x {args.latency * 1000:.0f} ms = {len(server.requests) * args.latency:.2f} s of latency); "
                      f"{outcome}")
            print(f"{len(checks_for(Provider.GITHUB))} GitHub checks, {args.repos} repositories")
    finally:
        server.stop()
    wall, calls = figures["concurrent"]
    speedup = calls * args.latency / wall
    verdict = "ok" if speedup >= TARGET_SPEEDUP else "MISSED"
    print(f"one check at a time / concurrent: {figures['sequential'][0] / wall:.2f}x")
    print(f"sequential sum / concurrent wall time: {calls * args.latency:.2f} s / {wall:.2f} s = "
          f"{speedup:.2f}x (target >= {TARGET_SPEEDUP}x) {verdict}")
    return 0 if speedup >= TARGET_SPEEDUP else 1
