"""Run a page's event handler to its end, as Reflex would, from a synchronous test.

Handlers that reach the database run their body in a worker thread (state/offloop.py), so they
are coroutines or async generators now; `call(State.handler, state, *args)` returns what the
handler returned (or the list of what it yielded), whatever its kind.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any


def drive(result: Any) -> Any:
    """The value of a handler's result: awaited, or its yields collected into a list."""
    if inspect.isasyncgen(result):
        async def collect() -> list[Any]:
            return [item async for item in result]
        return asyncio.run(collect())
    if inspect.isawaitable(result):
        async def wait() -> Any:
            return await result
        return asyncio.run(wait())
    if inspect.isgenerator(result):
        return list(result)
    return result


def call(handler: Any, state: Any, *args: Any, **kwargs: Any) -> Any:
    """`handler` (State.name, an EventHandler) on `state`, run to its end."""
    return drive(handler.fn(state, *args, **kwargs))
