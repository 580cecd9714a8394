"""Every page event handler of ours that takes arguments, sent arguments of the wrong JSON type.

Reflex checks handler argument types only when the pages compile; over the websocket a client can
send null, a list, an object or a number where a handler declares text, and Reflex passes it on
unconverted (the handler then raises on its own input). The app's middleware (state/payload_guard)
must drop such an event before the handler runs, and let the JSON the page itself sends through.

The events go through Reflex's own event processor, with the app as its middleware (as in the web
process), so the test fails if the guard is not registered. Reflex's handler call (process_event) is
replaced by a recorder: whether and how the handler would have been called is all that is checked,
and no handler runs. Which JSON values are right for each annotation is stated here, by hand.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import typing
from typing import Any

import pytest
from reflex_base.event import Event
from reflex_base.event.processor import base_state_processor
from reflex_base.event.processor.base_state_processor import BaseStateEventProcessor
from reflex_base.registry import RegisteredEventHandler, RegistrationContext
from reflex_base.utils.form import FORM_DATA_ENTRIES_KEY

import compliance_app.compliance_app as web
from compliance_app.state.payload_guard import PayloadGuard

#: A JSON value of each kind a client can send, by name.
SAMPLES: dict[str, Any] = {
    "null": None,
    "true": True,
    "false": False,
    "number": 7,
    "negative number": -2,
    "fraction": 1.5,
    "text": "text",
    "digits": "7",
    "digits beyond int()": "1" * 5000,
    "empty text": "",
    "array of text": ["text", "more"],
    "array of numbers": [1, 2],
    "array of null": [None],
    "object of text": {"name": "text"},
    "submitted form": {FORM_DATA_ENTRIES_KEY: [["name", "text"], ["role", "admin"]]},
    "form, entry without a value": {FORM_DATA_ENTRIES_KEY: [["name"]]},
    "form, entries not an array": {FORM_DATA_ENTRIES_KEY: "name=text"},
    "form, name not text": {FORM_DATA_ENTRIES_KEY: [[1, "text"]]},
}
#: The samples each declared annotation accepts; every other sample must be refused.
RIGHT: dict[Any, set[str]] = {
    str: {"text", "digits", "digits beyond int()", "empty text"},
    bool: {"true", "false"},
    int: {"number", "negative number", "digits"},
    str | list[str]: {"text", "digits", "digits beyond int()", "empty text", "array of text"},
    dict[str, Any]: {"object of text", "submitted form"},
}
#: A right value per annotation, for the arguments not under test.
GOOD = {annotation: SAMPLES[min(names)] for annotation, names in RIGHT.items()}
TOKEN = "payload-types-tab"


def our_handlers() -> dict[str, RegisteredEventHandler]:
    """Every registered handler defined in our modules that takes arguments (background ones too)."""
    return {
        name: registered
        for name, registered in RegistrationContext.ensure_context().event_handlers.items()
        if registered.handler.fn.__module__.startswith("compliance_app.")
        and len(inspect.signature(registered.handler.fn).parameters) > 1
    }


def arguments(registered: RegisteredEventHandler) -> dict[str, Any]:
    """The handler's arguments and their annotations, as a page author wrote them."""
    fn = registered.handler.fn
    hints = typing.get_type_hints(fn)
    return {name: hints[name] for name in list(inspect.signature(fn).parameters)[1:]}


def good_payload(registered: RegisteredEventHandler) -> dict[str, Any]:
    return {name: GOOD[annotation] for name, annotation in arguments(registered).items()}


class Recorder:
    """Stands in for Reflex's handler call: notes which handler would run, with what."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, handler: Any, payload: dict, state: Any, root_state: Any) -> None:
        self.calls.append((handler.fn.__qualname__, payload))


def deliver(events: list[Event], monkeypatch: pytest.MonkeyPatch) -> tuple[Recorder, list[Exception]]:
    """Process the events one by one, as a client's websocket would send them to the web process."""
    recorder, failures = Recorder(), []
    monkeypatch.setattr(base_state_processor, "process_event", recorder)
    # Reflex's re-hydration of a state without route data runs handlers of its own: not under test.
    monkeypatch.setattr(BaseStateEventProcessor, "_rehydrate", lambda self, root: asyncio.sleep(0))

    def failed(exc: Exception) -> None:
        failures.append(exc)

    async def run() -> None:
        processor = BaseStateEventProcessor(middleware=web.app, backend_exception_handler=failed).configure()
        async with processor:
            for event in events:
                await (await processor.enqueue(TOKEN, event))

    asyncio.run(run())
    return recorder, failures


def test_the_app_registers_the_guard() -> None:
    assert any(isinstance(m, PayloadGuard) for m in web.app._middlewares)


def test_every_annotation_has_its_right_json_types() -> None:
    found = our_handlers()
    assert len(found) >= 60, "the handlers with arguments were not found"
    unknown = {str(a) for registered in found.values() for a in arguments(registered).values()} - {
        str(a) for a in RIGHT}
    assert not unknown, f"say which JSON values are right for {unknown} in RIGHT"


def test_wrong_json_types_are_dropped_before_any_handler_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    events = []
    for name, registered in sorted(our_handlers().items()):
        good = good_payload(registered)
        for argument, annotation in arguments(registered).items():
            for sample in sorted(set(SAMPLES) - RIGHT[annotation]):
                events.append(Event(name=name, payload=good | {argument: SAMPLES[sample]}))
            events.append(Event(name=name, payload={k: v for k, v in good.items() if k != argument}))
        events.append(Event(name=name, payload=good | {"unexpected": "text"}))
    recorder, failures = deliver(events, monkeypatch)
    assert not failures, failures[:3]
    assert not recorder.calls, f"{len(recorder.calls)} refused events reached a handler, e.g. {recorder.calls[:3]}"


def test_the_json_a_page_sends_still_reaches_its_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    sent = []
    for name, registered in sorted(our_handlers().items()):
        good = good_payload(registered)
        for argument, annotation in arguments(registered).items():
            sent += [(name, good | {argument: SAMPLES[sample]}) for sample in sorted(RIGHT[annotation])]
    recorder, failures = deliver([Event(name=name, payload=payload) for name, payload in sent], monkeypatch)
    assert not failures, failures[:3]
    expected = [(our_handlers()[name].handler.fn.__qualname__, payload) for name, payload in sent]
    assert recorder.calls == expected


def test_a_refusal_is_logged_without_the_value(monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    name = next(n for n, r in our_handlers().items() if r.handler.fn.__qualname__ == "OrgsState.set_name")
    secret = "hunter2-not-for-logs"
    events = [Event(name=name, payload={"value": [secret]}),
              Event(name=name, payload={"value": "x", secret * 10: "y"})]
    with caplog.at_level(logging.WARNING, logger="compliance_app.state.payload_guard"):
        recorder, _ = deliver(events, monkeypatch)
    assert not recorder.calls
    lines = [r.getMessage() for r in caplog.records if r.name == "compliance_app.state.payload_guard"]
    assert len(lines) == 2
    assert "OrgsState.set_name" in lines[0] and "'value'" in lines[0] and "array" in lines[0]
    assert "not one it takes" in lines[1] and len(lines[1]) < 150
    assert secret not in lines[0]
