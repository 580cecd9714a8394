"""Bounded fan-out of per-resource API calls, and a throttle that slows them when the provider asks.

A scan's time is its longest chain of dependent round trips only if the independent calls
overlap: reading 1,300 snapshot attributes one after another costs 1,300 round trips. Each
provider session owns one `FanOutPool` (size from settings) through which collectors read
per-resource details.

Deadlock-free by construction: the caller of `map` works through the items itself while
the pool's threads help, and at the end waits only for items a helper has already started
(queued helpers are cancelled). So a nested `map` from inside a pool task, or a caller whose
pool is saturated by other callers, still finishes: in the worst case the caller does all
the work alone. Each item runs in a copy of the caller's context (providers/callchain.py).

`Throttle` is shared by every call of one session: a throttled call halves how many calls
may be in flight and makes every caller wait out the provider's delay (Retry-After), then
the limit grows back by one per `limit` successful calls (additive increase, multiplicative
decrease, as TCP does).
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class FanOutPool:
    """At most `size` helper threads, shared by every collector of one provider session."""

    def __init__(self, size: int, name: str) -> None:
        self.size = max(1, size)
        self._executor = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix=name)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """[fn(item) for item in items], up to size + 1 at a time; the first exception is raised."""
        items = list(items)
        if len(items) < 2:
            return [fn(item) for item in items]
        contexts = [contextvars.copy_context() for _ in items]
        results: list[Any] = [None] * len(items)
        errors: list[BaseException | None] = [None] * len(items)
        lock = threading.Lock()
        cursor = iter(range(len(items)))

        def drain() -> None:
            while True:
                with lock:
                    index = next(cursor, None)
                if index is None:
                    return
                try:
                    results[index] = contexts[index].run(fn, items[index])
                except BaseException as exc:  # handed to the caller below
                    errors[index] = exc

        helpers: list[Future[None]] = []
        for _ in range(min(self.size, len(items) - 1)):
            try:
                helpers.append(self._executor.submit(drain))
            except RuntimeError:  # the session is closing: the caller does the rest alone
                break
        drain()
        for helper in helpers:
            if not helper.cancel():  # started: it is finishing an item right now
                helper.result()
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            raise first
        return results

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


class Throttle:
    """How many calls of one session may be in flight, and until when all of them wait."""

    def __init__(self, ceiling: int) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = self.ceiling
        self._in_flight = 0
        self._resume_at = 0.0
        self._successes = 0
        self._changed = threading.Condition()
        #: Callers waiting for a slot, in arrival order.
        self._queue: deque[object] = deque()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of `limit` slots for one call, after any pause the provider asked for.

        Slots go in arrival order. Woken all at once, waiters used to race for a freed slot, and
        with two dozen threads after eight slots one caller could lose for seconds: a scan's
        first GraphQL query, asked for at 0.5 s, went out at 5.8 s (bench scan_latency timeline)."""
        ticket = object()
        with self._changed:
            self._queue.append(ticket)
            try:
                while True:
                    pause = self._resume_at - time.monotonic()
                    if pause > 0:
                        self._changed.wait(pause)
                    elif self._queue[0] is not ticket or self._in_flight >= self.limit:
                        self._changed.wait()
                    else:
                        break
            finally:
                self._queue.remove(ticket)
                self._changed.notify_all()  # the next in line may take a slot left free
            self._in_flight += 1
        try:
            yield
        finally:
            with self._changed:
                self._in_flight -= 1
                self._changed.notify_all()

    def throttled(self, delay: float) -> None:
        """The provider refused a call for going too fast: halve the limit, everyone waits `delay`."""
        with self._changed:
            self.limit = max(1, self.limit // 2)
            self._successes = 0
            self._resume_at = max(self._resume_at, time.monotonic() + max(0.0, delay))
            self._changed.notify_all()

    def succeeded(self) -> None:
        with self._changed:
            if self.limit >= self.ceiling:
                return
            self._successes += 1
            if self._successes >= self.limit:
                self.limit += 1
                self._successes = 0
                self._changed.notify_all()
