"""Blocking work (database, files, crypto, network) runs off the backend's event loop.

Reflex runs every event handler of every connected user on ONE asyncio loop. A synchronous
handler that waits 50 ms on PostgreSQL freezes every other user of the process for 50 ms; a
snapshots page that verifies 200,000 evidence rows freezes them for seconds. So every handler
that reaches a service is written as plain code and decorated with `off_loop`:

    class MembersState(OrgState):
        rows: list[MemberRow] = []

        @rx.event
        @off_loop
        def load(self) -> rx.event.EventSpec | None:
            if (redirect := self._enter_org()) is not None or not self.org_found:
                return redirect
            self.rows = member_rows(members.list_members(self._actor(), self._org_uuid()))

The body runs in a worker thread while the loop serves everyone else. That is safe because
Reflex processes one (foreground) event per client at a time and holds that client's state
lock for the whole handler: nothing on the loop reads or writes this state until the body
returns; the delta is computed afterwards, on the loop, from the vars the body set. (A
generator handler's yields still reach the page one by one: each step runs in the thread.)
A handler that must await (`get_state`) is `async def`, still decorated with `off_loop`, and
calls the blocking parts with `await run(...)` (see pages/audit_detail/state.py).
Background events (`@rx.event(background=True)`, for work longer than a page load) do NOT hold
the lock: they call services with `await run(service.fn, *args)` outside `async with self`,
and assign the results inside it (the session lookup too: `actor = await run(self._actor)`
inside `async with self`). Handlers that touch only their own vars (a setter) stay
plain `def` (tests/foundation/test_event_loop.py decides which is which).

When PostgreSQL cannot be reached, the handler's error becomes the page's message "The
database is unavailable, retrying…" (components/layout.py shows `DatabaseState.unavailable`
on every page), and a background event pings the database with backoff and, once it answers,
clears the message and runs the page's on_load events again: the page recovers by itself.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import reflex as rx
from reflex.state import OnLoadInternalState

from compliance_app.db import DatabaseConfigError, check_database
from compliance_app.db_retry import describe, is_connection_error

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Worker threads for page work. Few, because page work is mostly Python under one GIL: 50
#: dashboards opened at once, 16 threads shared the GIL (with the event loop) and each load ran
#: ~200 ms instead of ~10 ms, so they all finished near the burst's end; 4 threads finish them
#: about in arrival order (bench ui_load, N = 50, idle: dashboard load p95 472 and 492 ms with
#: 4, 691 and 622 ms with 16, 459 with 2, same CPU per event). 4 rather than 2: a slow page (the
#: snapshots page verifies for seconds) then holds a quarter of them, not half. Below the
#: database pool (10 + 20 overflow, db.py), so every thread gets a pooled connection.
WORKERS = 4
#: Backoff between database pings while it is unavailable (seconds), and when to stop trying
#: (the page then asks for a reload: a browser left open on a dead server should not ping forever).
FIRST_DELAY = 0.5
MAX_DELAY = 5.0
GIVE_UP_AFTER = 600.0

_executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="offloop")
#: Threads for calls that wait on another server (testing an integration, sending a test
#: notification): such a call can wait out connect timeouts and retries for tens of seconds, and
#: on the page-work threads four of them at once would stall every page of the process.
NETWORK_WORKERS = 8
_network_executor = ThreadPoolExecutor(max_workers=NETWORK_WORKERS, thread_name_prefix="offloop-net")

#: Lookups that every service call of one off-loop body would repeat (who is signed in): a
#: fresh dict for each `run` call, None outside one. See `call_memo`.
_call_memo: contextvars.ContextVar[dict[Any, Any] | None] = contextvars.ContextVar("offloop_call_memo",
                                                                                   default=None)


def call_memo() -> dict[Any, Any] | None:
    """A dict that lives for the current `run` call only (one event's off-loop body, or one step
    of a generator handler), or None outside one.

    A page load calls three to five services, each wanting the signed-in user; each lookup is a
    transaction (a pool ping, a query, a commit). Remembering it for the body's duration answers
    the same question the same way (the body runs in well under a second) at a fraction of the
    cost, and the next event looks again, so a revoked session still stops at the next click."""
    return _call_memo.get()


def _with_memo(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    _call_memo.set({})
    return fn(*args, **kwargs)


async def run(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` in a worker thread (with this task's context variables and a fresh
    `call_memo`)."""
    return await _in(_executor, fn, *args, **kwargs)


async def run_network(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Like `run`, on the threads kept for calls that wait on another server (see NETWORK_WORKERS),
    so a slow provider or mail server never holds the threads every page load needs."""
    return await _in(_network_executor, fn, *args, **kwargs)


async def _in(executor: ThreadPoolExecutor, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    call = functools.partial(contextvars.copy_context().run, _with_memo, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(executor, call)


def _step(gen: Iterator[Any]) -> tuple[bool, Any]:
    """(finished, value): the generator's next value, or its return value (a StopIteration
    cannot cross a Future)."""
    try:
        return False, next(gen)
    except StopIteration as stop:
        return True, stop.value


def off_loop(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Make a plain event handler run its body in a worker thread (see the module docstring)."""
    if inspect.isasyncgenfunction(fn):
        raise TypeError(f"{fn.__qualname__}: an async generator cannot be wrapped; make it a plain generator")
    if inspect.iscoroutinefunction(fn):
        # An async handler (it awaits get_state) that calls services with `await run(...)`: only
        # the lost-database handling is added.

        @functools.wraps(fn)
        async def awaiting(self: rx.State, *args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(self, *args, **kwargs)
            except Exception as exc:
                return await _unavailable(self, exc)

        awaiting.__off_loop__ = True  # type: ignore[attr-defined]
        return awaiting

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        async def steps(self: rx.State, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            gen = fn(self, *args, **kwargs)
            while True:
                try:
                    finished, item = await run(_step, gen)
                except Exception as exc:
                    yield await _unavailable(self, exc)
                    return
                yield item
                if finished:
                    return

        steps.__off_loop__ = True  # type: ignore[attr-defined]
        return steps

    @functools.wraps(fn)
    async def handler(self: rx.State, *args: Any, **kwargs: Any) -> Any:
        try:
            return await run(fn, self, *args, **kwargs)
        except Exception as exc:
            return await _unavailable(self, exc)

    handler.__off_loop__ = True  # type: ignore[attr-defined]
    return handler


async def _unavailable(state: rx.State, exc: Exception) -> Any:
    """A lost database becomes the page's message and a retry; anything else propagates."""
    if not is_connection_error(exc):
        raise exc
    log.warning("database unavailable during %s: %s", type(state).__name__, describe(exc))
    status = await state.get_state(DatabaseState)
    status.unavailable = True
    return DatabaseState.wait_for_database


class DatabaseState(rx.State):
    """Whether this page's last database call failed because PostgreSQL could not be reached."""

    unavailable: bool = False
    gave_up: bool = False
    _waiting: bool = False

    @rx.event(background=True)
    async def wait_for_database(self) -> AsyncIterator[Any]:
        """Ping with backoff until the database answers, then reload the page's data (on_load)."""
        async with self:
            if self._waiting:
                return
            self._waiting, self.gave_up = True, False
        delay, deadline = FIRST_DELAY, time.monotonic() + GIVE_UP_AFTER
        try:
            while True:
                await asyncio.sleep(delay)
                try:
                    await run(check_database)
                    break
                except DatabaseConfigError:
                    delay = min(delay * 2, MAX_DELAY)
                if time.monotonic() > deadline:
                    async with self:
                        self.gave_up = True
                    return
        finally:
            async with self:
                self._waiting = False
        async with self:
            self.unavailable = False
        yield OnLoadInternalState.on_load_internal
