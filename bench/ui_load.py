"""The web app under load: N simulated users on Reflex's websocket, with and without a heavy admin.

    .venv/bin/python -m bench ui_load            [--users 1,10,50,100] [--seconds 20] [--think 1.0]
                                                 [--per-client 25] [--idle-only]
    .venv/bin/python -m bench ui_load --quick    (N = 10 and 50, 8 s each)

Starts the app in production mode (`reflex run --env prod`) on a free loopback port against a
throwaway PostgreSQL database, seeds the demo organization with 100 members and a second
organization with 20 snapshots of 10,000 evidence rows each, signs everyone in through
POST /api/auth/login, then for each N: N users (tests/support/reflex_client.Tab), started together
and dealt over load-generator processes of `--per-client` users each (browsers do not share one
Python process; one process playing 50 of them delays its own readings), each in a loop: load
the dashboard (connect + hydrate + on_load), switch the trend range, open the latest audit (a
client-side link), think `--think` seconds between steps. First with nothing else happening, then
while one admin repeatedly opens the snapshots page of the big organization.

Prints per step p50/p95/p99 (ms), events per second, errors (no answer within 5 s, or a
disconnect), the backend's RSS and its CPU milliseconds per event (on a shared, busy machine
the latencies swing with the neighbours' load; CPU per event is what a change of ours moves),
the load generator's own CPU per event ("client": it shares the cores with the app), and the
dashboard load split as the client sees it: when the CONNECT was answered, when the hydrate
snapshot arrived and when the on_load answer did (each from the load's start).
Targets at N = 50, in both runs: every event's p95 < 150 ms, the dashboard load's
p95 < 400 ms, no error. Exit status 1 when missed.

`drive(base_url, cookies, seconds, …)` is the reusable part: it drives any URL (one process, or
several behind a proxy) with signed-in users and returns Figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PASSWORD = "bench-load-password-2026"
SNAPSHOT_ORG = "bench-snapshots"
SNAPSHOTS, SNAPSHOT_ROWS = 20, 10_000
EVENT_TARGET_MS, LOAD_TARGET_MS, TARGET_USERS = 150.0, 400.0, 50
STEPS = ("dashboard load", "trend range", "audit page")
RANGES = ("7", "90", "30")
PHASES = ("connected", "snapshot", "loaded")
#: Simulated users per load-generator process: 25 browsers on one asyncio process already queue
#: behind its own CPU in a burst (see `drive_in_processes`); --per-client 50 shows the difference.
USERS_PER_CLIENT = 25


@dataclass
class Figures:
    """What one run measured: seconds per step, errors by kind, events answered."""

    users: int
    seconds: float
    samples: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    errors: Counter[str] = field(default_factory=Counter)
    rss_mb: float | None = None
    #: Backend CPU seconds over the run: per event, the figure a busy shared machine disturbs least.
    cpu_s: float | None = None
    #: The load generator's own CPU seconds (this process: N clients on the same cores as the app).
    client_cpu_s: float | None = None
    #: The dashboard load split, seconds from its start (client view): the CONNECT answered, the
    #: hydrate snapshot arrived, the on_load answer arrived.
    phases: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in PHASES})
    admin_loads: list[float] = field(default_factory=list)

    @property
    def events(self) -> int:
        return sum(len(v) for v in self.samples.values())

    def percentile(self, step: str, q: float, series: dict[str, list[float]] | None = None) -> float | None:
        """q-th percentile (0..100) of a step (or of a dashboard-load phase) in ms, or None without samples."""
        values = sorted((self.samples if series is None else series).get(step) or [])
        if not values:
            return None
        if len(values) == 1:
            return values[0] * 1000
        return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, int(q) - 1))] * 1000

    def all_events(self) -> list[float]:
        return [s for v in self.samples.values() for s in v]

    def meets_targets(self) -> bool:
        return (not self.errors and all((self.percentile(s, 95) or 0) < EVENT_TARGET_MS for s in STEPS[1:])
                and (self.percentile(STEPS[0], 95) or 0) < LOAD_TARGET_MS)


# --- one simulated user ----------------------------------------------------------------------

async def _user(base_url: str, cookie: str, page: dict[str, str], stop: float, think: float,
                figures: Figures) -> None:
    from tests.support.reflex_client import Tab, var

    handlers = page_handlers()
    tab = Tab(base_url, cookie)
    rng = random.Random()
    step_no = 0
    started = 0.0

    async def timed(step: str, action, predicate) -> bool:
        nonlocal started
        started = time.perf_counter()
        try:
            tab.drain()
            await action()
            await tab.wait(predicate)
        except TimeoutError:
            figures.errors[f"{step}: no answer in 5 s"] += 1
            return False
        except Exception as exc:  # a disconnect (Disconnected), a refused connection: each is an error figure
            figures.errors[f"{step}: {type(exc).__name__}"] += 1
            return False
        figures.samples[step].append(time.perf_counter() - started)
        return True

    try:
        while time.monotonic() < stop:
            ok = await timed(STEPS[0], lambda: tab.open(f"/o/{page['slug']}", {"slug": page["slug"]}),
                             lambda d: var(d, "dashboard_state", "loaded") is True)
            if ok:
                figures.phases["connected"].append(tab.marks["connected"] - started)
                figures.phases["snapshot"].append(tab.marks.get("first delta", started) - started)
                figures.phases["loaded"].append(figures.samples[STEPS[0]][-1])
            if ok and time.monotonic() < stop:
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))
                value = RANGES[step_no % len(RANGES)]
                step_no += 1
                ok = await timed(STEPS[1], lambda v=value: tab.send(handlers["set_range"], {"value": v}),
                                 lambda d, v=value: var(d, "dashboard_state", "range_days") == v)
            if ok and time.monotonic() < stop:
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))
                ok = await timed(STEPS[2], lambda: tab.navigate(f"/o/{page['slug']}/audits/{page['audit_id']}",
                                                                dict(page)),
                                 lambda d: var(d, "audit_detail_state", "loaded") is True)
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
    finally:
        with contextlib.suppress(Exception):  # closing a broken socket
            await tab.close()


async def _admin(base_url: str, cookie: str, stop: float, figures: Figures) -> None:
    """One admin reloading the snapshots page of the big organization, again and again."""
    from tests.support.reflex_client import Tab, var

    tab = Tab(base_url, cookie, timeout=60)
    try:
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                await tab.open(f"/o/{SNAPSHOT_ORG}/snapshots", {"slug": SNAPSHOT_ORG})
                await tab.wait(lambda d: len(var(d, "snapshots_state", "rows") or []) > 0)
                figures.admin_loads.append(time.perf_counter() - started)
            except Exception as exc:  # counted, the run goes on
                figures.errors[f"admin snapshots page: {type(exc).__name__}"] += 1
                await asyncio.sleep(1)
    finally:
        with contextlib.suppress(Exception):
            await tab.close()


def page_handlers() -> dict[str, str]:
    from compliance_app.pages.dashboard.state import DashboardState
    from tests.support.reflex_client import handler_name

    return {"set_range": handler_name(DashboardState.set_range)}


async def drive(base_url: str, cookies: list[str], seconds: float, *, page: dict[str, str],
                think: float = 1.0, admin_cookie: str | None = None) -> Figures:
    """len(cookies) signed-in users on `base_url` for `seconds`; with `admin_cookie`, one admin
    reloads the snapshots page of SNAPSHOT_ORG meanwhile. `page`: {"slug", "audit_id"}."""
    figures = Figures(users=len(cookies), seconds=seconds)
    stop = time.monotonic() + seconds
    tasks = [_user(base_url, c, page, stop, think, figures) for c in cookies]
    if admin_cookie:
        tasks.append(_admin(base_url, admin_cookie, stop, figures))
    await asyncio.gather(*tasks)
    return figures


def _drive_part(args: tuple[str, list[str], float, dict[str, str], float, str | None]) -> Figures:
    """One load-generator process's share of the users (see `drive_in_processes`)."""
    base_url, cookies, seconds, page, think, admin_cookie = args
    started = time.process_time()
    figures = asyncio.run(drive(base_url, cookies, seconds, page=page, think=think, admin_cookie=admin_cookie))
    figures.client_cpu_s = time.process_time() - started
    return figures


def drive_in_processes(base_url: str, cookies: list[str], seconds: float, *, page: dict[str, str],
                       think: float = 1.0, admin_cookie: str | None = None, processes: int = 1) -> Figures:
    """`drive`, with the users dealt over `processes` load-generator processes.

    One asyncio process plays every user's browser on one core: when 50 pages open at once, its
    own CPU (a Socket.IO client per tab, JSON of every delta) delays the moment it notices each
    answer, and the figures would charge the app with the generator's queue. Browsers run on
    machines of their own; several processes come closer (they still share this machine's cores).
    Samples, errors and the generator's CPU are summed over the processes."""
    if processes <= 1:
        started = time.process_time()
        figures = asyncio.run(drive(base_url, cookies, seconds, page=page, think=think, admin_cookie=admin_cookie))
        figures.client_cpu_s = time.process_time() - started
        return figures
    import multiprocessing

    shares = [cookies[i::processes] for i in range(processes)]
    jobs = [(base_url, share, seconds, page, think, admin_cookie if i == 0 else None)
            for i, share in enumerate(shares) if share]
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        parts = pool.map(_drive_part, jobs)
    merged = Figures(users=len(cookies), seconds=seconds, client_cpu_s=0.0)
    for part in parts:
        for step, values in part.samples.items():
            merged.samples[step].extend(values)
        for phase, values in part.phases.items():
            merged.phases[phase].extend(values)
        merged.errors.update(part.errors)
        merged.admin_loads.extend(part.admin_loads)
        merged.client_cpu_s = (merged.client_cpu_s or 0.0) + (part.client_cpu_s or 0.0)
    return merged


async def sign_in(base_url: str, emails: list[str], password: str = PASSWORD) -> list[str]:
    """A `name=value` session cookie per account, through the login route (as a browser posts it)."""
    from compliance_app.api.auth import session_cookie_name

    name = session_cookie_name()
    cookies: list[str] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=60, follow_redirects=False) as client:
        for email in emails:
            response = await client.post("/api/auth/login", data={"email": email, "password": password},
                                         headers={"Origin": base_url})
            value = response.cookies.get(name)
            if response.status_code != 303 or not value:
                raise RuntimeError(f"sign-in of {email} failed: {response.status_code} {response.headers}")
            cookies.append(f"{name}={value}")
            client.cookies.clear()
    return cookies


# --- data --------------------------------------------------------------------------------------

def seed(users: int) -> tuple[list[str], str, dict[str, str]]:
    """The demo organization with `users` members, and SNAPSHOT_ORG with its admin and snapshots.
    Returns (member emails, admin email, {"slug", "audit_id"} of the users' page)."""
    import sqlalchemy as sa
    from sqlmodel import select

    from bench.snapshots import _fill
    from compliance_app.db import get_engine, session_scope
    from compliance_app.models import Audit, Membership, Organization, Role, User
    from compliance_app.services import demo, snapshots
    from compliance_app.services.authz import Actor
    from compliance_app.services.passwords import hash_password

    started = time.monotonic()
    summary = demo.seed_demo()
    hashed = hash_password(PASSWORD)
    emails = [f"load-{i:03d}@example.com" for i in range(users)]
    with session_scope() as s:
        org = s.exec(select(Organization).where(Organization.slug == summary.slug)).one()
        audit = s.exec(select(Audit).where(Audit.organization_id == org.id)
                       .order_by(Audit.created_at.desc())).first()
        for email in emails:
            user = User(email=email, password_hash=hashed, name=email.split("@")[0])
            s.add(user)
            s.flush()
            s.add(Membership(user_id=user.id, organization_id=org.id, role=Role.MEMBER))
        admin = User(email="load-admin@example.com", password_hash=hashed, name="Load admin")
        s.add(admin)
        s.flush()
        big = Organization(name="Bench Snapshots", slug=SNAPSHOT_ORG, owner_id=admin.id)
        s.add(big)
        s.flush()
        s.add(Membership(user_id=admin.id, organization_id=big.id, role=Role.ADMIN))
        page = {"slug": org.slug, "audit_id": str(audit.id)}
    first = _fill(big.id, SNAPSHOT_ROWS)
    audit_ids = [first]
    with get_engine().begin() as conn:
        for _ in range(SNAPSHOTS - 1):
            row = conn.execute(sa.text(
                "INSERT INTO audit (id, organization_id, status, score, created_at, started_at, finished_at, "
                "progress_done, progress_total, attempts, counts) SELECT gen_random_uuid(), organization_id, "
                "status, score, now(), now(), now(), 0, 0, 1, counts FROM audit WHERE id = :a RETURNING id"),
                {"a": first}).scalar_one()
            conn.execute(sa.text(
                "INSERT INTO evidence (audit_id, question_id, status, resource_id, region, message, raw_data, "
                "remediation_steps, created_at) SELECT :n, question_id, status, resource_id, region, message, "
                "raw_data, remediation_steps, created_at FROM evidence WHERE audit_id = :a"), {"a": first, "n": row})
            audit_ids.append(row)
    actor = Actor.system("bench")
    for audit_id in audit_ids:
        snapshots.create_snapshot(actor, audit_id)
    print(f"seeded {users} members, {SNAPSHOTS} snapshots of {SNAPSHOT_ROWS:,} evidence rows "
          f"in {time.monotonic() - started:.0f} s", flush=True)
    return emails, "load-admin@example.com", page


# --- the app -------------------------------------------------------------------------------------

def backend_process(proc: subprocess.Popen[bytes], port: int) -> Any:
    """The psutil.Process that listens on the app's port (Reflex's backend), or None."""
    import psutil

    try:
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return None
    for p in family:
        try:
            if any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in p.net_connections("tcp")):
                return p
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return None


def rss_mb(backend: Any) -> float | None:
    """The backend's resident memory in MB (None when it is gone)."""
    import psutil

    try:
        return backend.memory_info().rss / 1e6
    except (psutil.NoSuchProcess, AttributeError):
        return None


def cpu_seconds(backend: Any) -> float:
    """User + system CPU the backend process has used so far (0 when it is gone)."""
    import psutil

    try:
        times = backend.cpu_times()
    except (psutil.NoSuchProcess, AttributeError):
        return 0.0
    return times.user + times.system


# --- report ---------------------------------------------------------------------------------------

def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def print_table(title: str, rows: list[Figures]) -> None:
    print(f"\n{title}")
    head = (f"{'N':>4} {'step':<15} {'n':>6} {'p50':>6} {'p95':>6} {'p99':>6}   {'ev/s':>6} {'errors':>6} "
            f"{'RSS MB':>7} {'CPU ms/ev':>9} {'client':>6}")
    print(head)
    print("-" * len(head))
    for f in rows:
        for i, step in enumerate(STEPS):
            per_event = f.cpu_s * 1000 / f.events if f.cpu_s is not None and f.events else None
            client = f.client_cpu_s * 1000 / f.events if f.client_cpu_s is not None and f.events else None
            tail = (f"   {f.events / f.seconds:6.1f} {sum(f.errors.values()):6d} "
                    f"{_ms(f.rss_mb):>7} {_ms(per_event):>9} {_ms(client):>6}") if i == 0 else ""
            print(f"{f.users:>4} {step:<15} {len(f.samples[step]):>6} {_ms(f.percentile(step, 50)):>6} "
                  f"{_ms(f.percentile(step, 95)):>6} {_ms(f.percentile(step, 99)):>6}{tail}")
        for phase in PHASES:
            print(f"{'':>4} {'  ' + phase:<15} {len(f.phases[phase]):>6} {_ms(f.percentile(phase, 50, f.phases)):>6} "
                  f"{_ms(f.percentile(phase, 95, f.phases)):>6} {_ms(f.percentile(phase, 99, f.phases)):>6}")
        if f.admin_loads:
            print(f"{'':>4} {'(admin page)':<15} {len(f.admin_loads):>6} "
                  f"{statistics.median(f.admin_loads) * 1000:6.0f} {max(f.admin_loads) * 1000:>6.0f} (max)")
        for kind, count in sorted(f.errors.items()):
            print(f"{'':>4}   error: {kind}: {count}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench ui_load")
    parser.add_argument("--users", default="1,10,50,100", help="comma-separated N")
    parser.add_argument("--seconds", type=float, default=20.0, help="per run")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a user's steps")
    parser.add_argument("--quick", action="store_true", help="N = 10 and 50, 8 s each")
    parser.add_argument("--idle-only", action="store_true", help="skip the run with the snapshots admin")
    parser.add_argument("--per-client", type=int, default=USERS_PER_CLIENT,
                        help="simulated users per load-generator process (N=50: 2 processes)")
    args = parser.parse_args(argv)
    counts = [10, 50] if args.quick else [int(n) for n in args.users.split(",")]
    seconds = 8.0 if args.quick else args.seconds

    from compliance_app.commands.serve import stop_process_group
    from tests.support.live_app import start_app
    from tests.support.scratch_db import scratch_database

    with scratch_database("ca_uiload") as url, tempfile.TemporaryDirectory(prefix="ui_load_") as tmp:
        emails, admin_email, page = seed(max(counts))
        proc, base_url = start_app(url, Path(tmp))
        backend = backend_process(proc, int(base_url.rsplit(":", 1)[1]))
        try:
            cookies = asyncio.run(sign_in(base_url, emails))
            admin_cookie = asyncio.run(sign_in(base_url, [admin_email]))[0]
            ok = True
            for label, admin in (("idle", None), ("with one admin reloading the snapshots page", admin_cookie)):
                if admin and args.idle_only:
                    continue
                rows = []
                for n in counts:
                    cpu_before = cpu_seconds(backend)
                    figures = drive_in_processes(base_url, cookies[:n], seconds, page=page, think=args.think,
                                                 admin_cookie=admin, processes=-(-n // max(1, args.per_client)))
                    figures.cpu_s = cpu_seconds(backend) - cpu_before
                    figures.rss_mb = rss_mb(backend)
                    rows.append(figures)
                    if n == TARGET_USERS:
                        ok &= figures.meets_targets()
                print_table(f"ui_load, {label} ({seconds:.0f} s per N, think {args.think} s; times in ms)", rows)
            print(f"\ntargets at N = {TARGET_USERS}: event p95 < {EVENT_TARGET_MS:.0f} ms, dashboard load p95 < "
                  f"{LOAD_TARGET_MS:.0f} ms, no error: {'met' if ok else 'MISSED'}")
            return 0 if ok or TARGET_USERS not in counts else 1
        finally:
            stop_process_group(proc, timeout=20)


if __name__ == "__main__":
    raise SystemExit(main())
