"""What a new user trips over: page states driven directly, below the browser."""

from __future__ import annotations

from typing import TypeVar

import pytest
import reflex as rx

from compliance_app.services.authz import Actor
from compliance_app.state.session import SessionState
from tests.dashboard.conftest import Scenario, scenario  # noqa: F401 - shared fixture

S = TypeVar("S", bound=rx.State)


def page_state(monkeypatch: pytest.MonkeyPatch, cls: type[S], actor: Actor, org_id: str = "", org_slug: str = "",
               path: str = "/") -> S:
    """A page state whose signed-in user is `actor` and whose URL is `path`."""
    monkeypatch.setattr(SessionState, "_actor", lambda self: actor)
    monkeypatch.setattr(SessionState, "_resolve_user", lambda self: True)
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    state.is_authenticated = True
    if org_id:
        state._org_id = org_id
        state.org_slug = org_slug
    return state
