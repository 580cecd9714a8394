"""Drop page events whose arguments are not the JSON types their handler declares.

Reflex checks event-handler argument types when the pages compile, never when an event arrives: a
client speaking the websocket can send null, a list or an object where a handler declares text, and
Reflex hands the value over unchanged. The handler then raises on its own input (a traceback in the
log, a broken page). One middleware in front of every handler of ours refuses such an event whole,
before any state changes, instead of a type check in each of seventy handlers.

What fits (the JSON a page of ours actually sends): `str`, `bool` and `dict` exactly; an `int` or a
string of digits for `int` (Reflex converts the string); lists and unions element by element; None
only where the annotation allows it. A submitted form arrives as Reflex's wrapped list of
[name, value] entries, which must be well formed. Types the guard does not know pass as before.
Argument names the handler does not take, and required ones missing, are refused as well.

A refused event is logged with the handler, the argument and the JSON type received, never the
value (it may be a password). The check is pure CPU, linear in the payload, and runs on the event
loop like the rest of Reflex's event dispatch.
"""

from __future__ import annotations

import functools
import inspect
import logging
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reflex.middleware import Middleware
from reflex.state import BaseState, StateUpdate
from reflex_base.event import Event
from reflex_base.registry import RegistrationContext
from reflex_base.utils.form import FORM_DATA_ENTRIES_KEY

if TYPE_CHECKING:
    from reflex.app import App

log = logging.getLogger(__name__)

#: Handlers defined in these modules are guarded; Reflex's own (hydrate, setvar, …) are left to Reflex.
OUR_PACKAGE = "compliance_app."
#: Digits Reflex may turn into an int for an `int` argument. Bounded: the page's numbers (page
#: steps) are small, and Python refuses to convert a string of more than 4,300 digits.
_INT_TEXT = re.compile(r"[+-]?[0-9]{1,18}")
#: An unknown argument name comes from the client: logged cut short, as a repr (no line breaks).
_NAME_IN_LOG = 40


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an event was refused: the argument and what arrived for it (a JSON type, not the value)."""

    argument: str
    received: str

    def reason(self) -> str:
        """The log text: names only, so no value the client sent reaches the log."""
        if not self.argument:
            return f"its arguments are a JSON {self.received}, not an object"
        if self.received == "missing":
            return f"argument {self.argument!r} is missing"
        if self.received == "unknown":
            return f"argument {self.argument[:_NAME_IN_LOG]!r} is not one it takes"
        return f"argument {self.argument!r} is a JSON {self.received}, not of its declared type"


def json_type(value: Any) -> str:
    """The JSON type of a decoded value, as a client would name it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def fits(value: Any, hint: Any) -> bool:
    """Whether a decoded JSON value is one the annotation `hint` accepts (see the module docstring)."""
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(fits(value, member) for member in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is str or hint is bool:
        return type(value) is hint
    if hint is int:
        return type(value) is int or (isinstance(value, str) and _INT_TEXT.fullmatch(value) is not None)
    if hint is list or origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        if not isinstance(value, list):
            return False
        if item is str or item is bool:  # the common case, without a call per element (lists reach 300k)
            return all(type(element) is item for element in value)
        return all(fits(element, item) for element in value)
    if hint is dict or origin is dict:
        return _fits_dict(value, (typing.get_args(hint) or (Any, Any))[1])
    return True


def _fits_dict(value: Any, value_hint: Any) -> bool:
    """An object whose values fit; a submitted form's entries must be [text name, value] pairs,
    or Reflex's own conversion of them raises before the handler is reached."""
    if not isinstance(value, dict):
        return False
    if FORM_DATA_ENTRIES_KEY not in value:
        return all(fits(item, value_hint) for item in value.values())
    entries = value[FORM_DATA_ENTRIES_KEY]
    return isinstance(entries, list) and all(
        isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str) and fits(entry[1], value_hint)
        for entry in entries
    )


@dataclass(frozen=True, slots=True)
class Arguments:
    """What a handler takes: each argument's annotation, and which of them it cannot do without."""

    hints: dict[str, Any]
    required: frozenset[str]


@functools.cache
def arguments_of(fn: Callable[..., Any]) -> Arguments:
    """The handler's own arguments (through off_loop's wrapper), resolved once per handler."""
    resolved = typing.get_type_hints(fn)
    params = list(inspect.signature(fn).parameters.values())[1:]  # the first is the state (self)
    return Arguments(
        hints={p.name: resolved.get(p.name, Any) for p in params},
        required=frozenset(p.name for p in params if p.default is inspect.Parameter.empty),
    )


def refusal(fn: Callable[..., Any], payload: Any) -> Refusal | None:
    """The first reason to refuse `payload` for the handler function `fn`, or None when it fits."""
    if not isinstance(payload, dict):
        return Refusal("", json_type(payload))
    taken = arguments_of(fn)
    for name, value in payload.items():
        if name not in taken.hints:
            return Refusal(str(name), "unknown")
        if not fits(value, taken.hints[name]):
            return Refusal(name, json_type(value))
    missing = sorted(taken.required - payload.keys())  # sorted: the log names the same one each time
    return Refusal(missing[0], "missing") if missing else None


class PayloadGuard(Middleware):
    """Reflex middleware: an event for one of our handlers with arguments that do not fit is dropped.

    Returning an empty StateUpdate tells Reflex the event is handled: the handler does not run,
    no state changes, the client receives nothing and stays connected.
    """

    async def preprocess(self, app: App, state: BaseState, event: Event) -> StateUpdate | None:
        """Refuse (an empty update) or let the event through (None)."""
        registered = RegistrationContext.get().event_handlers.get(event.name)
        if registered is None:
            return None
        fn = registered.handler.fn
        if not fn.__module__.startswith(OUR_PACKAGE):
            return None
        found = refusal(fn, event.payload)
        if found is None:
            return None
        log.warning("Dropped an event for %s: %s", fn.__qualname__, found.reason())
        return StateUpdate()
