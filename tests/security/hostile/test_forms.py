"""Every form handler of the pages (Reflex event handlers) with hostile input: none may raise.

A browser (or a script speaking Reflex's websocket) can call any public event handler with any
arguments, and can set any text field first; an exception in a handler is a traceback in the server
log and a broken page. So for every state class of the app, discovered from the real app: each
handler that takes arguments gets hostile values of its declared types (through Reflex's own payload
conversion), and each handler without arguments runs after the page's text fields were set to hostile
text, all as organization A's owner. Refusals are the services' (their own suite checks that nothing
is written); here the handler must turn them into a message.

Arguments of the wrong JSON type (null, a list, a number where text is declared) are not sent here:
Reflex passes those through unconverted, so one guard in front of the handlers drops them
(state/payload_guard, checked for every handler by test_payload_types.py).

Background handlers are left out: they run against a live app (and the ones here talk to the network
or Stripe); their services are fuzzed directly.
"""

from __future__ import annotations

import asyncio
import inspect
import typing
from typing import Any

import pytest
import reflex as rx
from hypothesis import given, settings
from hypothesis import strategies as st
from reflex_base.event.processor.base_state_processor import _prepare_event_payload

import compliance_app.compliance_app  # noqa: F401  (imports every page and its state)
from tests.security.conftest import World
from tests.security.hostile.outcome import run_each
from tests.security.hostile.strategies import HOSTILE_SETTINGS, for_annotation, hostile_text
from tests.support.loop_guard import forbid_database_on_loop

#: Reflex's own generic setter: its input handling is Reflex's, not ours.
REFLEX_BUILTIN = {"setvar"}
#: Field names the pages' forms submit (and one they do not).
FORM_KEYS = ["name", "token", "github_org", "base_url", "max_admins", "access_key_id", "secret_access_key",
             "role_arn", "external_id", "regions", "endpoint_url", "auth", "provider", "old_password",
             "new_password", "new_password_confirm", "unexpected"]


#: Examples per handler: each runs the handler's service calls, and there are some sixty handlers.
FORM_EXAMPLES = 10
#: Crashes this suite found in page handlers and not fixed yet, each named here until fixed. Remove a
#: line to fuzz that handler again.
FOUND_NOT_FIXED: dict[str, str] = {}


def _argument(annotation: Any) -> st.SearchStrategy[Any]:
    """Hostile values of the type the handler declares (a form is a dict of text fields)."""
    if annotation is dict or typing.get_origin(annotation) is dict:
        return st.dictionaries(st.sampled_from(FORM_KEYS), hostile_text, max_size=6)
    return for_annotation(annotation)


def state_classes() -> list[type[rx.State]]:
    found, todo = [], list(rx.State.get_substates())
    while todo:
        cls = todo.pop()
        todo.extend(cls.get_substates())
        if cls.__module__.startswith("compliance_app."):
            found.append(cls)
    return sorted(found, key=lambda c: c.__name__)


def handlers() -> dict[str, tuple[type[rx.State], str, Any]]:
    """'State.handler' -> (state class, name, EventHandler), each on the class that defines it."""
    found = {}
    for cls in state_classes():
        for name, handler in cls.event_handlers.items():
            if name in REFLEX_BUILTIN or handler.is_background:
                continue
            if handler.fn.__qualname__.split(".")[0] == cls.__name__:
                found[f"{cls.__name__}.{name}"] = (cls, name, handler)
    return found


def _page_state(monkeypatch: pytest.MonkeyPatch, cls: type[rx.State], world: World) -> rx.State:
    """The page's state as organization A's owner would have it after the page loaded."""
    owner = world.actor("admin")
    monkeypatch.setattr(cls, "_actor", lambda self: owner, raising=False)
    monkeypatch.setattr(cls, "_enter_org", lambda self: None, raising=False)
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    if hasattr(state, "_org_id"):
        state._org_id = str(world.org_a.id)
    return state


def _text_fields(cls: type[rx.State]) -> list[str]:
    """The page's own str fields (what its inputs and setters fill)."""
    return [name for name, var in cls.base_vars.items()
            if not name.startswith("_") and var._var_type is str and name in cls.__annotations__]


def _run(result: Any) -> None:
    """Drive whatever the handler returned to the end, as Reflex would."""
    if inspect.isasyncgen(result):
        async def drain() -> None:
            async for _ in result:
                pass
        asyncio.run(drain())
    elif inspect.isawaitable(result):
        asyncio.run(result)
    elif inspect.isgenerator(result):
        for _ in result:
            pass


def test_form_handlers_are_found() -> None:
    found = handlers()
    assert {"MembersState.invite", "IntegrationsState.save", "RisksState.submit", "OrgsState.create"} <= set(found)


def test_every_form_handler_survives_hostile_input(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    found = handlers()

    def check(key: str) -> None:
        cls, _name, handler = found[key]
        params = list(inspect.signature(handler.fn).parameters)[1:]
        fields = _text_fields(cls)
        hints = typing.get_type_hints(handler.fn)

        state = _page_state(monkeypatch, cls, world)  # one per handler: building the state tree is slow

        @settings(HOSTILE_SETTINGS, max_examples=min(FORM_EXAMPLES, HOSTILE_SETTINGS.max_examples))
        @given(data=st.data())
        def call(data: st.DataObject) -> None:
            for field in fields:
                if data.draw(st.booleans(), label=f"set {field}"):
                    setattr(state, field, data.draw(hostile_text, label=field))
            payload = {p: data.draw(_argument(hints.get(p, Any)), label=p) for p in params}
            _run(handler.fn(state, **_prepare_event_payload(handler, payload)))

        with forbid_database_on_loop():  # async handlers must reach services through offloop.run
            call()

    assert set(FOUND_NOT_FIXED) <= set(found), "FOUND_NOT_FIXED names a handler that no longer exists"
    problems = run_each(sorted(set(found) - set(FOUND_NOT_FIXED)), check)
    assert not problems, "\n".join(problems)
