"""No page event handler blocks the event loop: Reflex runs every user's handlers on one
asyncio loop, so a handler that waits on the database freezes everyone on that process.

Every event handler of every state class of the app (discovered from the real app) is either
wrapped by state/offloop.off_loop, a background event, or a plain handler that reaches nothing
blocking: its bytecode, followed through the state's own methods and the app's helpers, names no
service, database or network callable (tests/support/loop_guard.py). Async handlers that await
services through offloop.run are checked at run time (test_async_handlers_keep_the_database_off_the_loop).
"""

from __future__ import annotations

import asyncio
import inspect

import pytest
import reflex as rx

import compliance_app.compliance_app  # noqa: F401  (imports every page and its state)
from compliance_app.services import organizations
from compliance_app.state.offloop import off_loop, run
from compliance_app.state.session import SessionState
from tests.support.loop_guard import LoopBlocked, blocking_reach, forbid_database_on_loop


def _states() -> list[type[rx.State]]:
    found, todo = [], list(rx.State.get_substates())
    while todo:
        cls = todo.pop()
        todo.extend(cls.get_substates())
        if cls.__module__.startswith("compliance_app."):
            found.append(cls)
    return found


def _handlers() -> dict[str, tuple[type[rx.State], object]]:
    found = {}
    for cls in _states():
        for name, handler in cls.event_handlers.items():
            if handler.fn.__qualname__.split(".")[0] == cls.__name__:
                found[f"{cls.__name__}.{name}"] = (cls, handler)
    return found


def _plain_and_blocking(cls: type[rx.State], handler: object) -> list[str]:
    fn = handler.fn  # type: ignore[attr-defined]
    if handler.is_background or inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):  # type: ignore[attr-defined]
        return []  # off_loop-wrapped, or async: checked at run time (forbid_database_on_loop)
    return blocking_reach(cls, fn)


def test_no_plain_handler_reaches_the_database() -> None:
    found = _handlers()
    assert len(found) > 100, "the app's handlers were not discovered"
    offenders = {key: reach for key, (cls, h) in found.items() if (reach := _plain_and_blocking(cls, h))}
    assert not offenders, "plain handlers that block the loop (decorate them with @off_loop):\n" + "\n".join(
        f"{key}: {reach[0]}" for key, reach in sorted(offenders.items()))


def test_the_rule_catches_a_plain_handler_that_queries() -> None:
    """The check cannot silently pass: a sync handler calling a service through a helper is named,
    the same handler wrapped by off_loop is not, and a setter is not."""

    class _Probe(SessionState):
        value: str = ""

        def _members(self) -> object:
            return organizations.list_my_organizations(self._actor())

        @rx.event
        def load(self) -> None:
            self._members()

        @rx.event
        @off_loop
        def load_off(self) -> None:
            self._members()

        @rx.event
        def set_value(self, value: str) -> None:
            self.value = value

    reach = blocking_reach(_Probe, _Probe.event_handlers["load"].fn)
    assert "_Probe.load -> self._members -> compliance_app.services.organizations.list_my_organizations" in reach
    assert any("accounts.resolve_session" in r for r in reach)  # the session lookup through _actor
    assert not _plain_and_blocking(_Probe, _Probe.event_handlers["load_off"])
    assert not _plain_and_blocking(_Probe, _Probe.event_handlers["set_value"])
    assert inspect.iscoroutinefunction(_Probe.event_handlers["load_off"].fn)


def test_async_handlers_keep_the_database_off_the_loop(db: str) -> None:
    """The run-time guard: a query on the loop's thread raises, the same query through run() does not."""
    from compliance_app.db import check_database

    async def on_loop() -> None:
        check_database()

    async def off() -> None:
        await run(check_database)

    with forbid_database_on_loop():
        with pytest.raises(LoopBlocked):
            asyncio.run(on_loop())
        asyncio.run(off())
    check_database()  # the guard is gone afterwards
