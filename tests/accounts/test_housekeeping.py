"""The worker's hourly account housekeeping: stale login failures and dead sessions go away."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from compliance_app.db import session_scope
from compliance_app.models import LoginAttempt, UserSession
from compliance_app.models.types import utcnow
from compliance_app.services import accounts
from compliance_app.services.crypto import hash_token
from compliance_app.worker import scheduler
from tests.factories import DEFAULT_PASSWORD, make_user


def _age_session(token: str, **values: object) -> None:
    with session_scope() as s:
        s.execute(sa.update(UserSession).where(UserSession.token_hash == hash_token(token)).values(**values))


def test_housekeeping_prunes_old_attempts_and_dead_sessions(db: str) -> None:
    now = utcnow()
    with session_scope() as s:
        s.add_all([
            LoginAttempt(key="email:old@example.com", created_at=now - timedelta(hours=1, minutes=1)),
            LoginAttempt(key="email:recent@example.com", created_at=now - timedelta(minutes=1)),
        ])
    user = make_user()
    tokens = {name: accounts.authenticate(user.email, DEFAULT_PASSWORD, name)[1]
              for name in ("live", "expired", "revoked-long-ago", "revoked-just-now")}
    _age_session(tokens["expired"], expires_at=now - timedelta(seconds=1))
    _age_session(tokens["revoked-long-ago"], revoked_at=now - timedelta(days=2))
    accounts.logout(tokens["revoked-just-now"])

    scheduler.account_housekeeping_job()

    with session_scope() as s:
        assert s.exec(select(LoginAttempt.key)).all() == ["email:recent@example.com"]
        left = set(s.exec(select(UserSession.ip_address)).all())
    assert left == {"live", "revoked-just-now"}
    assert accounts.resolve_session(tokens["live"]) is not None
    assert accounts.prune_login_attempts() == 0 and accounts.prune_expired_sessions() == 0


def test_the_job_is_scheduled_hourly_once() -> None:
    sched = scheduler.build_scheduler()
    job = sched.get_job("account_housekeeping")
    assert job is not None and job.func is scheduler.account_housekeeping_job
    assert job.trigger.interval == timedelta(hours=1)
    assert job.max_instances == 1 and job.coalesce is True
