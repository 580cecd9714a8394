"""The account page's list of open sessions: only the caller's live ones, never a token."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
import sqlalchemy as sa

from compliance_app.db import session_scope
from compliance_app.models import UserSession
from compliance_app.models.types import utcnow
from compliance_app.services import accounts
from compliance_app.services.authz import Actor
from compliance_app.services.crypto import hash_token
from compliance_app.services.errors import AuthenticationRequired
from tests.factories import DEFAULT_PASSWORD, actor_for, make_user


def test_lists_only_the_callers_open_sessions_and_marks_the_current_one(db: str) -> None:
    user = make_user(email="me@example.com")
    other = make_user(email="someone@example.com")
    _u, current = accounts.authenticate(user.email, DEFAULT_PASSWORD, "10.0.0.1", user_agent="Firefox/130")
    _u, phone = accounts.authenticate(user.email, DEFAULT_PASSWORD, "10.0.0.2", user_agent="Mobile Safari")
    _u, revoked = accounts.authenticate(user.email, DEFAULT_PASSWORD, "10.0.0.3")
    _u, expired = accounts.authenticate(user.email, DEFAULT_PASSWORD, "10.0.0.4")
    accounts.authenticate(other.email, DEFAULT_PASSWORD, "10.0.0.9")
    accounts.logout(revoked)
    with session_scope() as s:
        s.execute(sa.update(UserSession).where(UserSession.token_hash == hash_token(expired))
                  .values(expires_at=utcnow() - timedelta(seconds=1)))

    rows = accounts.list_sessions(actor_for(user), current_token=current)
    assert sorted((r.ip_address, r.user_agent, r.current) for r in rows) == [
        ("10.0.0.1", "Firefox/130", True), ("10.0.0.2", "Mobile Safari", False)]
    assert all(r.created_at and r.last_seen_at and r.expires_at > utcnow() for r in rows)
    text = repr(rows)
    for token in (current, phone):
        assert token not in text and hash_token(token) not in text
    assert not [f.name for f in dataclasses.fields(accounts.SessionInfo) if "token" in f.name]
    assert not any(r.current for r in accounts.list_sessions(actor_for(user)))


def test_anonymous_is_refused(db: str) -> None:
    with pytest.raises(AuthenticationRequired):
        accounts.list_sessions(Actor.anonymous())
