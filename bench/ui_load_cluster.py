"""Two web processes behind nginx against one web process: the same load, events per CPU-second.

    .venv/bin/python -m bench ui_load_cluster   [--users 100] [--seconds 20] [--think 1.0]

Builds the deployment of docs/deploy.md on loopback (tests/support/cluster.py: a private Redis,
two production web processes of one backend process each, nginx configured by
deploy/nginx.conf), seeds the demo organization with N members, and drives it with ui_load's
simulated users (bench.ui_load.drive) through nginx: first with nginx forwarding to one web
process, then to both (nginx's sticky hash on each tab's token spreads the users).

Prints, per deployment: events per second, p95 per step, errors, and events per CPU-second of
the web processes (user + system time of every process under each web process, over the run).
Targets: two processes not slower than one (events per second), and their events
per CPU-second within 20 % of one process's. Exit status 1 when missed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import psutil

from bench.ui_load import PASSWORD, STEPS, Figures, drive, sign_in
from tests.support.cluster import Cluster

PER_CPU_TOLERANCE = 0.20


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def _measure(running: Cluster, processes: int, cookies: list[str], page: dict[str, str], seconds: float,
             think: float) -> tuple[Figures, float]:
    """nginx forwarding to the first `processes` web processes under load: (figures, their CPU-seconds)."""
    webs = running.webs[:processes]
    running.nginx.set_upstreams([web.address for web in webs])
    asyncio.run(drive(running.url, cookies[: min(10, len(cookies))], 3, page=page, think=think))  # warm up
    pids = [pid for web in webs for pid in web.pids()]
    before = _cpu_seconds(pids)
    figures = asyncio.run(drive(running.url, cookies, seconds, page=page, think=think))
    cpu = _cpu_seconds(pids) - before
    figures.rss_mb = sum(psutil.Process(pid).memory_info().rss for pid in pids if psutil.pid_exists(pid)) / 1e6
    return figures, cpu


def _seed_members(users: int) -> tuple[list[str], dict[str, str]]:
    """The demo organization with `users` members (ui_load's accounts, without its snapshot org)."""
    from sqlmodel import select

    from compliance_app.db import session_scope
    from compliance_app.models import Audit, Membership, Organization, Role, User
    from compliance_app.services import demo
    from compliance_app.services.passwords import hash_password

    summary = demo.seed_demo()
    hashed = hash_password(PASSWORD)
    emails = [f"load-{i:03d}@example.com" for i in range(users)]
    with session_scope() as s:
        org = s.exec(select(Organization).where(Organization.slug == summary.slug)).one()
        audit = s.exec(select(Audit).where(Audit.organization_id == org.id).order_by(Audit.created_at.desc())).first()
        for email in emails:
            user = User(email=email, password_hash=hashed, name=email.split("@")[0])
            s.add(user)
            s.flush()
            s.add(Membership(user_id=user.id, organization_id=org.id, role=Role.MEMBER))
        return emails, {"slug": org.slug, "audit_id": str(audit.id)}


async def _sign_in_all(base_url: str, emails: list[str], parallel: int = 4) -> list[str]:
    """ui_load's sign-in, `parallel` accounts at a time (each is one password hash on the server)."""
    chunks = [emails[i::parallel] for i in range(parallel)]
    signed = await asyncio.gather(*(sign_in(base_url, chunk) for chunk in chunks))
    return [cookie for chunk in signed for cookie in chunk]


def _row(label: str, figures: Figures, cpu: float) -> str:
    p95 = "  ".join(f"{(figures.percentile(step, 95) or 0):6.0f}" for step in STEPS)
    rate = figures.events / figures.seconds
    return (f"{label:<28} {rate:7.1f} {cpu:8.1f} {figures.events / cpu if cpu else 0:9.2f}  {p95}  "
            f"{sum(figures.errors.values()):6d} {figures.rss_mb or 0:8.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench ui_load_cluster")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a user's steps")
    args = parser.parse_args(argv)

    from tests.support.cluster import cluster
    from tests.support.scratch_db import scratch_database

    with scratch_database("ca_uicluster") as url, tempfile.TemporaryDirectory(prefix="ui_cluster_") as tmp:
        emails, page = _seed_members(args.users)
        started = time.monotonic()
        with cluster(url, Path(tmp), processes=2) as running:
            print(f"two web processes, Redis and nginx up in {time.monotonic() - started:.0f} s", flush=True)
            cookies = asyncio.run(_sign_in_all(running.url, emails))
            results = {n: _measure(running, n, cookies, page, args.seconds, args.think) for n in (1, 2)}

    load1, load5, _ = os.getloadavg()  # other work on the machine skews every figure below
    print(f"\nui_load_cluster: N = {args.users}, {args.seconds:.0f} s, think {args.think} s, through nginx + Redis "
          f"(machine load average {load1:.1f} / {load5:.1f}, {os.cpu_count()} CPUs)")
    steps = "  ".join(f"{s[:6]:>6}" for s in STEPS)
    print(f"{'deployment':<28} {'ev/s':>7} {'CPU s':>8} {'ev/CPU-s':>9}  {steps}  {'errors':>6} {'RSS MB':>8}")
    for processes, (figures, cpu) in results.items():
        print(_row(f"{processes} web process{'es' if processes > 1 else ''}", figures, cpu))
        for kind, count in sorted(figures.errors.items()):
            print(f"{'':>4}   error: {kind}: {count}")
    (one, cpu1), (two, cpu2) = results[1], results[2]
    rate1, rate2 = one.events / one.seconds, two.events / two.seconds
    per_cpu1, per_cpu2 = one.events / cpu1 if cpu1 else 0, two.events / cpu2 if cpu2 else 0
    not_slower = rate2 >= rate1
    per_cpu_ok = per_cpu1 > 0 and per_cpu2 >= per_cpu1 * (1 - PER_CPU_TOLERANCE)
    print(f"\ntwo processes not slower than one: {rate2:.1f} vs {rate1:.1f} ev/s: {'met' if not_slower else 'MISSED'}")
    print(f"per CPU-second within {PER_CPU_TOLERANCE:.0%}: {per_cpu2:.2f} vs {per_cpu1:.2f}: "
          f"{'met' if per_cpu_ok else 'MISSED'}")
    return 0 if not_slower and per_cpu_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
