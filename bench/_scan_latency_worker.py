"""One scan of an organization in its own process, for bench/scan_latency.py.

    DATABASE_URL=... python -m bench._scan_latency_worker ORGANIZATION_ID [--profile PATH]

Prints one JSON line: wall time of the audit, the longest chain of dependent API calls and
the calls made more than once (from providers/callchain.py), peak RSS and CPU seconds of
this process, and the audit's outcome. A process of its own so its peak RSS is the scan's, not the servers'.

With --profile, every thread of the scan runs under cProfile timed by its own CPU clock
(time.thread_time: waiting on the network costs nothing, so the profile shows where the
CPU goes, not where the threads sleep), and the merged statistics are dumped to PATH.

With --timeline, the JSON line also carries when each check ran and when each API call
started (time.monotonic(), comparable with the bench process's clock), on which thread.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import pstats
import re
import resource
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not ru_maxrss: Linux carries the forking parent's peak
    (the bench process, holding moto's whole account) over into the child's across exec."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


#: GitHub paths with their names and ids replaced, so calls group by endpoint.
_GITHUB_TEMPLATE = [(re.compile(p), r) for p, r in (
    (r"^https?://[^/]+", ""), (r"[{?].*$", ""), (r"^/orgs/[^/]+", "/orgs/{org}"),
    (r"^/repos/[^/]+/[^/]+", "/repos/{repo}"), (r"/branches/[^/]+", "/branches/{branch}"),
    (r"/rulesets/\d+", "/rulesets/{id}"), (r"/contents/.+", "/contents/{path}"))]


def _operation(service: str, operation: str, key: str) -> str:
    """An AWS call's operation name, or a GitHub call's endpoint (GET /repos/{repo}/keys)."""
    if service != "github":
        return operation
    for pattern, replacement in _GITHUB_TEMPLATE:
        key = pattern.sub(replacement, key)
    return f"{operation} {key}"


@contextlib.contextmanager
def _cpu_profile(path: str | None) -> Iterator[None]:
    """Profile this thread and every thread started inside the block (the check pool, the heartbeat)."""
    if path is None:
        yield
        return
    profilers: list[cProfile.Profile] = []
    original_run = threading.Thread.run

    def profiled_run(thread: threading.Thread) -> None:
        profiler = cProfile.Profile(time.thread_time)
        profilers.append(profiler)
        profiler.runcall(original_run, thread)

    main = cProfile.Profile(time.thread_time)
    profilers.append(main)
    threading.Thread.run = profiled_run  # type: ignore[method-assign]
    main.enable()
    try:
        yield
    finally:
        main.disable()
        threading.Thread.run = original_run  # type: ignore[method-assign]
        stats = pstats.Stats(main)
        for profiler in profilers[1:]:
            profiler.disable()  # a pool thread still parked on its queue: its figures so far
            stats.add(profiler)
        stats.dump_stats(path)


@contextlib.contextmanager
def _check_times(keep: bool) -> Iterator[list[tuple[str, str, float, float]]]:
    """(check key, thread, start, end) of every check the engine runs inside the block, if `keep`."""
    from compliance_app.services import engine

    times: list[tuple[str, str, float, float]] = []
    if not keep:
        yield times
        return
    original = engine.run_check

    def timed(check, session, scope):  # type: ignore[no-untyped-def]
        start = time.monotonic()
        try:
            return original(check, session, scope)
        finally:
            times.append((check.meta.key, threading.current_thread().name, start, time.monotonic()))

    engine.run_check = timed  # type: ignore[assignment]
    try:
        yield times
    finally:
        engine.run_check = original  # type: ignore[assignment]


def main() -> int:
    from compliance_app.db import session_scope
    from compliance_app.models import Audit
    from compliance_app.providers import callchain
    from compliance_app.services import audit_queue, engine, scans
    from compliance_app.services.authz import Actor

    parser = argparse.ArgumentParser(prog="python -m bench._scan_latency_worker")
    parser.add_argument("organization_id", type=uuid.UUID)
    parser.add_argument("--profile", metavar="PATH", help="dump the scan's CPU profile (pstats) here")
    parser.add_argument("--timeline", action="store_true", help="add the checks' and calls' times")
    args = parser.parse_args()
    from compliance_app import gc_tuning

    engine.default_checks()  # as the worker does before it takes work (worker/scheduler.py)
    gc_tuning.tune()
    audit = scans.request_scan(Actor.system("bench"), args.organization_id)
    audit_queue.claim_audit(audit.id, "bench:1")
    with (callchain.recording(args.timeline) as recorder, _cpu_profile(args.profile),
          _check_times(args.timeline) as checks):
        start, began = time.perf_counter(), time.monotonic()
        engine.run_audit(audit.id, "bench:1")
        wall = time.perf_counter() - start
    with session_scope() as s:
        done = s.get(Audit, audit.id)
        outcome = {"status": str(done.status), "score": done.score, "counts": done.counts}
    # Polling for the credential report repeats one call by design; pages differ by their token.
    repeated = {f"{svc}:{op} {key[:120]}": n for (svc, op, key), n in recorder.calls.items()
                if n > 1 and op != "GenerateCredentialReport"}
    operations = Counter(f"{svc} {_operation(svc, op, key)}" for (svc, op, key) in recorder.calls.elements())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    timeline = {"began": began, "checks": checks, "calls": recorder.timeline} if args.timeline else None
    print(json.dumps({"wall": wall, "longest": recorder.longest, "calls": sum(recorder.calls.values()),
                      "repeated": repeated, "rss_mb": _peak_rss_mb(), "cpu": usage.ru_utime + usage.ru_stime,
                      "operations": operations, "outcome": outcome, "timeline": timeline}, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
