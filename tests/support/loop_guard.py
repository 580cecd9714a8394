"""Which page event handlers may block the event loop, decided two ways.

Statically, `blocking_reach(cls, fn)`: the services, database or driver callables a plain
synchronous handler reaches, following its bytecode's names through the state's own methods and
the app's helper functions (services are the boundary: everything behind them is blocking work).

At run time, `forbid_database_on_loop()`: any SQL statement issued from a thread that is running
an asyncio loop raises LoopBlocked, so an async handler that calls a service without
`offloop.run` fails the test that runs it.
"""

from __future__ import annotations

import asyncio
import inspect
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

#: Modules whose callables block: the services (database, files, crypto, network), the engine.
BLOCKING_MODULES = ("compliance_app.services", "compliance_app.db", "sqlalchemy", "sqlmodel", "psycopg",
                    "httpx", "requests", "boto3", "github")
#: Modules whose functions are followed (the app's own helpers), unless blocking.
FOLLOWED = ("compliance_app.",)


class LoopBlocked(AssertionError):
    """A database statement ran on the event loop's thread."""


def _module_of(obj: Any) -> str:
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    return getattr(inspect.unwrap(obj) if callable(obj) else obj, "__module__", "") or ""


#: Service functions that only compute (no database, file or network): fine on the loop.
PURE = {"compliance_app.services.organizations.slugify", "compliance_app.services.authz.int_or_not_found"}


def _is_blocking(obj: Any) -> bool:
    """A function (not a class: exceptions, enums, Actor) of a blocking module, unless known pure."""
    if isinstance(obj, type | types.ModuleType) or not callable(obj):
        return False
    module = _module_of(obj)
    return module.startswith(BLOCKING_MODULES) and f"{module}.{getattr(obj, '__name__', '')}" not in PURE


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def blocking_reach(cls: type, fn: Callable[..., Any]) -> list[str]:
    """'path -> callable' for each blocking callable `fn` reaches (empty: it touches nothing)."""
    found: list[str] = []
    seen: set[int] = set()

    def visit(func: Callable[..., Any], path: str) -> None:
        func = inspect.unwrap(func)
        if getattr(func, "__off_loop__", False) or id(func) in seen or not hasattr(func, "__code__"):
            return
        seen.add(id(func))
        names = {n for code in _codes(func.__code__) for n in code.co_names}
        for name in names:
            target = func.__globals__.get(name)
            if isinstance(target, types.ModuleType):
                if target.__name__.startswith(BLOCKING_MODULES):
                    hits = [a for a in names if _is_blocking(getattr(target, a, None))]
                    found.extend(f"{path} -> {target.__name__}.{a}" for a in sorted(hits))
                continue
            if target is not None:
                if _is_blocking(target):
                    found.append(f"{path} -> {_module_of(target)}.{name}")
                elif inspect.isfunction(target) and _module_of(target).startswith(FOLLOWED):
                    visit(target, f"{path} -> {name}")
            member = inspect.getattr_static(cls, name, None)
            if isinstance(member, staticmethod | classmethod):
                member = member.__func__
            if isinstance(member, property):
                member = member.fget
            if inspect.isfunction(member):
                visit(member, f"{path} -> self.{name}")

    visit(fn, f"{cls.__name__}.{fn.__name__}")
    return found


@contextmanager
def forbid_database_on_loop() -> Iterator[None]:
    """Every SQL statement from a thread running an asyncio loop raises LoopBlocked meanwhile."""

    def check(*_args: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        raise LoopBlocked("a database statement ran on the event loop (use offloop.off_loop / offloop.run)")

    event.listen(sa.engine.Engine, "before_cursor_execute", check)
    try:
        yield
    finally:
        event.remove(sa.engine.Engine, "before_cursor_execute", check)
