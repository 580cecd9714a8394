"""Every event looks the signed-in user and the organization up again; when nothing changed, no
var is marked dirty, so the answer does not carry them (smaller deltas, less work)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import reflex as rx

from compliance_app.pages.dashboard.state import DashboardState
from compliance_app.services.authz import Access
from compliance_app.state import org, session
from compliance_app.state.session import SessionState

USER = SimpleNamespace(id="8c6f1f0e-8a55-4d55-9d1f-3a7c0c1c2d3e", email="ann@example.com", name="Ann")
ORG = SimpleNamespace(id="0b3c8f3e-2f4c-4c8e-9d8e-6f1f2a3b4c5d", name="Acme", slug="acme", owner_id=None)


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> DashboardState:
    monkeypatch.setattr(session.accounts, "resolve_session", lambda token: USER)

    def enter(actor: Any, slug: str) -> tuple[Access, list[dict[str, str]]]:
        return Access(organization=ORG, role="admin", is_owner=False), [{"slug": "acme", "name": "Acme",
                                                                          "role": "admin"}]

    monkeypatch.setattr(org.landing, "enter_organization", enter)
    monkeypatch.setattr(org.OrgState, "_slug_from_url", lambda self: "acme")
    root = rx.State(_reflex_internal_init=True)
    return root.get_substate(DashboardState.get_full_name().split(".")[1:])


def _dirty(state: rx.State) -> dict[str, set[str]]:
    found, todo = {}, [state._get_root_state()]
    while todo:
        s = todo.pop()
        if s.dirty_vars:
            found[type(s).__name__] = set(s.dirty_vars)
        todo.extend(s.substates.values())
    return found


def test_the_second_lookup_marks_nothing(page: DashboardState) -> None:
    assert page._enter_org() is None
    first = _dirty(page)
    assert "user_email" in first["SessionState"] and "org_name" in first["OrgState"]
    page._get_root_state()._clean()
    assert page._enter_org() is None
    assert _dirty(page) == {}
    assert (page.org_name, page.user_email, page.can_admin) == ("Acme", "ann@example.com", True)


def test_a_change_is_still_marked(page: DashboardState, monkeypatch: pytest.MonkeyPatch) -> None:
    page._enter_org()
    page._get_root_state()._clean()
    monkeypatch.setattr(session.accounts, "resolve_session", lambda token: None)
    assert SessionState._resolve_user(page) is False
    assert _dirty(page) == {"SessionState": {"_user_id", "user_email", "user_name", "is_authenticated"}}
