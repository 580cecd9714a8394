"""Back-off for guessing and for costly anonymous requests, shared by every web process.

State lives in the database (the login_attempt table: one row per counted event and key),
never in process memory, so several web processes behind a load balancer enforce one
limit. Nobody is ever made to wait inside the server: a refused request is answered at
once with how many seconds to wait (HTTP Retry-After), and it is not counted, so a person
who retries too early does not push the wait further out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from compliance_app.models import LoginAttempt
from compliance_app.services.errors import RateLimited

#: login_attempt.key is at most this long; longer keys are cut (both when written and read).
MAX_KEY = 400


@dataclass(frozen=True)
class Backoff:
    """After `free` counted events inside `window`, each further one must wait for
    `base` * 2^(events - free) seconds after the latest, never more than `cap`."""

    free: int
    base: float
    cap: float
    window: timedelta

    def delay(self, events: int) -> float:
        if events < self.free:
            return 0.0
        return min(self.cap, self.base * 2 ** min(events - self.free, 32))


@dataclass(frozen=True)
class Quota:
    """At most `limit` counted events per key inside a sliding `window`."""

    limit: int
    window: timedelta


def backoff_wait(s: Session, key: str, rule: Backoff, now: datetime) -> int:
    """Seconds the key must still wait (0 when it may go ahead)."""
    count, latest = s.exec(
        select(func.count(), func.max(LoginAttempt.created_at)).where(
            LoginAttempt.key == key[:MAX_KEY], LoginAttempt.created_at > now - rule.window
        )
    ).one()
    if not count or latest is None:
        return 0
    remaining = (latest + timedelta(seconds=rule.delay(count)) - now).total_seconds()
    return max(0, math.ceil(remaining))


def quota_wait(s: Session, key: str, rule: Quota, now: datetime) -> int:
    """Seconds until the key's oldest counted event leaves the window, when the quota is used up."""
    recent = s.exec(
        select(LoginAttempt.created_at)
        .where(LoginAttempt.key == key[:MAX_KEY], LoginAttempt.created_at > now - rule.window)
        .order_by(LoginAttempt.created_at.desc())
        .limit(rule.limit)
    ).all()
    if len(recent) < rule.limit:
        return 0
    return max(1, math.ceil((recent[-1] + rule.window - now).total_seconds()))


def count(s: Session, keys: list[str], now: datetime) -> None:
    """Count one event against each key."""
    for key in keys:
        s.add(LoginAttempt(key=key[:MAX_KEY], created_at=now))
    s.flush()


def forget(s: Session, key: str) -> None:
    """Start the key's count afresh (a correct password ends an account's run of failures)."""
    s.execute(delete(LoginAttempt).where(LoginAttempt.key == key[:MAX_KEY]))


def refuse(what: str, seconds: int) -> RateLimited:
    """The refusal for a caller who must wait; `retry_after` becomes the Retry-After header."""
    seconds = max(1, seconds)
    when = f"{seconds} second{'s' if seconds != 1 else ''}" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"
    return RateLimited(f"Too many {what}. Try again in {when}.", retry_after=seconds)


def prune(s: Session, older_than: datetime) -> int:
    """Drop events no rule looks at any more (housekeeping; correctness never needs it)."""
    return s.execute(delete(LoginAttempt).where(LoginAttempt.created_at <= older_than)).rowcount or 0
