"""What the browser can call on a Reflex state: only deliberate event handlers.

Reflex turns EVERY public method of a state class into an event handler any page script
can send over the websocket. A helper such as `actor()` or `enter_org()` is meant for
other handlers only, so it must be private (`_name`); a public method must be an
`@rx.event` (or a computed var). The check walks the state classes of the real app.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap

import reflex as rx

import compliance_app.compliance_app  # noqa: F401  (imports every page and its state)
from compliance_app.pages.members import MembersState
from compliance_app.pages.snapshots import SnapshotsState
from compliance_app.services import snapshots
from compliance_app.state.org import OrgState
from compliance_app.state.session import SessionState
from tests.factories import actor_for, make_org, make_user
from tests.snapshots.factory import make_completed_audit
from tests.support.handlers import call

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
    assert "actor" not in SessionState.event_handlers
    assert not {"org_id", "enter_org"} & set(OrgState.event_handlers)


def _page_state(monkeypatch, state_cls, actor, org_id):
    monkeypatch.setattr(state_cls, "_actor", lambda self: actor)
    monkeypatch.setattr(state_cls, "_enter_org", lambda self: None)
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(state_cls.get_full_name().split(".")[1:])
    state._org_id = str(org_id)
    return state


def _held_by(state: rx.State) -> str:
    """Everything the state would keep (and store in Redis), browser and backend vars alike."""
    return repr(state.dict()) + repr(vars(state))


def test_invite_and_share_links_are_handed_to_the_page_not_kept_in_state(db, monkeypatch) -> None:
    owner = make_user()
    org = make_org(owner)
    actor = actor_for(owner)

    members = _page_state(monkeypatch, MembersState, actor, org.id)
    members.invite_email = "invitee@example.com"
    events = [e for e in call(MembersState.invite, members) if e is not None]
    url = re.search(r"https?://[^\"']*/invite/[A-Za-z0-9_-]+", repr(events)).group(0)
    assert members.invite_shown and url.rsplit("/", 1)[1] not in _held_by(members)

    snapshot = snapshots.create_snapshot(actor, make_completed_audit(org, approver=owner).id)
    page = _page_state(monkeypatch, SnapshotsState, actor, org.id)
    page.share_for, page.share_expiry = str(snapshot.id), "7d"
    events = [e for e in call(SnapshotsState.create_link, page) if e is not None]
    url = re.search(r"https?://[^\"']*/share/[A-Za-z0-9_-]+", repr(events)).group(0)
    assert page.link_shown and url.rsplit("/", 1)[1] not in _held_by(page)
