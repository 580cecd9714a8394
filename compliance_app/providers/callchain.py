"""Every provider API call of a scan, and the longest chain of calls that each needed the previous answer.

A scan's time on a real network is its longest chain of dependent round trips (list the
buckets, then read each bucket's policy: two), not its number of calls, as long as the
independent calls overlap. To measure that chain, every API call goes through `record`,
which bumps a ContextVar holding how many dependent calls led here. The context follows
the work: providers run fanned-out tasks in a copy of the submitter's context, and a
memoized collection hands the depth it ended at to every later reader (`reach`), so a
check reading a cached bucket list continues the chain that listed the buckets.

Nothing is kept unless a `recording()` block is open (bench/scan_latency.py opens one):
outside it, `record` only bumps the counter. `recording(timeline=True)` also keeps when
each call started, on which thread and at which depth (bench scan_latency --timeline).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

_depth: ContextVar[int] = ContextVar("provider_call_depth", default=0)


@dataclass
class Recorder:
    """What one scan called: each call's identity (service, operation, parameters) and the longest chain."""

    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    longest: int = 0
    #: (time.monotonic() at the call's start, thread name, service, operation, depth), when asked for.
    timeline: list[tuple[float, str, str, str, int]] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, service: str, operation: str, key: str, depth: int) -> None:
        with self._lock:
            self.calls[(service, operation, key)] += 1
            self.longest = max(self.longest, depth)
            if self.timeline is not None:
                self.timeline.append((time.monotonic(), threading.current_thread().name, service, operation, depth))


_recorder: Recorder | None = None


def record(service: str, operation: str, key: str = "") -> None:
    """One API call, made after the calls that led to this context: its chain is one longer."""
    depth = _depth.get() + 1
    _depth.set(depth)
    recorder = _recorder
    if recorder is not None:
        recorder.add(service, operation, key, depth)


def depth() -> int:
    """How many dependent calls led to this point (stored beside memoized data)."""
    return _depth.get()


def reach(depth_of_data: int) -> None:
    """This context now depends on data that took `depth_of_data` dependent calls to obtain."""
    if depth_of_data > _depth.get():
        _depth.set(depth_of_data)


def start_chain() -> None:
    """A new, independent piece of work (a check run on a reused thread) starts at depth 0."""
    _depth.set(0)


@contextmanager
def recording(timeline: bool = False) -> Iterator[Recorder]:
    """Keep every call made (by any thread) while the block runs; with `timeline`, when and where too."""
    global _recorder
    recorder = Recorder(timeline=[] if timeline else None)
    _recorder = recorder
    try:
        yield recorder
    finally:
        _recorder = None
