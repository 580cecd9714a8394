"""The signed-in user is looked up once per event, not once per service call.

A page load calls several services, each with `self._actor()`; each lookup was a transaction
of its own. offloop.call_memo keeps the answer for one off-loop body, and only for it: the next
event looks again, so a revoked session stops at the next click.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from compliance_app.state import session
from compliance_app.state.offloop import call_memo, run
from compliance_app.state.session import SessionState


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Every resolve_session call's token; the user it returns is a stand-in."""
    seen: list[str | None] = []

    def resolve(token: str | None) -> Any:
        seen.append(token)
        return SimpleNamespace(id="8c6f1f0e-8a55-4d55-9d1f-3a7c0c1c2d3e", email="ann@example.com", name="Ann")

    monkeypatch.setattr(session.accounts, "resolve_session", resolve)
    return seen


def _tab(token: str) -> SimpleNamespace:
    """Just what SessionState._resolve_user reads and writes."""
    tab = SimpleNamespace(_session_token=lambda: token, _user_id="", user_email="", user_name="",
                          is_authenticated=False)
    tab._assign = lambda **values: SessionState._assign(tab, **values)  # type: ignore[arg-type]
    return tab


def _body(tab: SimpleNamespace, calls: int) -> bool:
    return all(SessionState._resolve_user(tab) for _ in range(calls))  # type: ignore[arg-type]


def test_one_lookup_per_off_loop_body(lookups: list[str | None]) -> None:
    async def two_events() -> None:
        tab = _tab("tok-a")
        assert await run(_body, tab, 3)
        assert await run(_body, tab, 2)

    asyncio.run(two_events())
    assert lookups == ["tok-a", "tok-a"]


def test_each_token_is_looked_up_and_bodies_do_not_share(lookups: list[str | None]) -> None:
    async def concurrent() -> None:
        await asyncio.gather(run(_body, _tab("tok-a"), 2), run(_body, _tab("tok-b"), 2))

    asyncio.run(concurrent())
    assert sorted(lookups) == ["tok-a", "tok-b"]


def test_outside_a_body_every_call_looks_up(lookups: list[str | None]) -> None:
    assert call_memo() is None
    _body(_tab("tok-a"), 2)
    assert lookups == ["tok-a", "tok-a"]
