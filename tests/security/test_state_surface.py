"""What the browser can call on a Reflex state: only deliberate event handlers.

Reflex turns EVERY public method of a state class into an event handler any page script
can send over the websocket. A helper such as `actor()` or `enter_org()` is meant for
other handlers only, so it must be private (`_name`); a public method must be an
`@rx.event` (or a computed var). The check walks the state classes of the real app.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import reflex as rx

import compliance_app.compliance_app  # noqa: F401  (imports every page and its state)

_ALLOWED_DECORATORS = ("rx.event", "rx.var", "event", "var", "property", "staticmethod", "classmethod")


def _state_classes() -> list[type[rx.State]]:
    found, todo = [], list(rx.State.get_substates())
    while todo:
        cls = todo.pop()
        todo.extend(cls.get_substates())
        if cls.__module__.startswith("compliance_app."):
            found.append(cls)
    return found


def _undeclared_public_methods(cls: type) -> list[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    names = []
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_"):
            decorators = [ast.unparse(d).split("(")[0] for d in node.decorator_list]
            if not any(d in _ALLOWED_DECORATORS for d in decorators):
                names.append(node.name)
    return names


def test_every_public_state_method_is_a_declared_event_handler() -> None:
    classes = _state_classes()
    assert len(classes) > 10, "the app's state classes were not found"
    offenders = {f"{c.__module__}.{c.__name__}": m for c in classes if (m := _undeclared_public_methods(c))}
    assert offenders == {}, f"helpers callable from the browser (make them private): {offenders}"


def test_helpers_are_not_event_handlers() -> None:
    from compliance_app.state.org import OrgState
    from compliance_app.state.session import SessionState

    assert "actor" not in SessionState.event_handlers
    assert not {"org_id", "enter_org"} & set(OrgState.event_handlers)
