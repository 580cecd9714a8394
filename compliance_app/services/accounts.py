"""Accounts: sign-up, log in/out, server-side sessions, password changes, login throttling.

The browser only ever holds a random session token; the database holds its SHA-256, so
a leaked table does not leak sessions. A session ends when it expires, when it has been
idle for SESSION_IDLE_HOURS, or when the same browser signs in again.

Guessing is slowed, never locked out (services/throttle.py): after a few failures per
account, and per client, each further attempt must wait a little longer, at most
MAX_WAIT — so nobody can keep the rightful owner out for longer than that by failing on
purpose. The refusal never says whether the email exists.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, update
from sqlmodel import Session, select

from compliance_app.db import session_scope
from compliance_app.models import User, UserSession
from compliance_app.models.types import utcnow
from compliance_app.services import activity, throttle
from compliance_app.services.authz import Actor
from compliance_app.services.crypto import hash_token, new_token
from compliance_app.services.errors import (
    AuthenticationRequired,
    Conflict,
    NotFound,
    ValidationError,
)
from compliance_app.services.passwords import hash_password, needs_rehash, verify_password
from compliance_app.services.sso_policy import password_refusal, sso_required_by
from compliance_app.settings import get_settings

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
#: The longest anyone waits before the next sign-in attempt (the right password included).
MAX_WAIT = 60
#: Per account: 3 free failures, then 1 s, 2 s, 4 s … up to a minute between attempts.
ACCOUNT_BACKOFF = throttle.Backoff(free=3, base=1, cap=MAX_WAIT, window=timedelta(hours=1))
#: Per client: more room (offices share an address), the same ceiling.
CLIENT_BACKOFF = throttle.Backoff(free=10, base=1, cap=MAX_WAIT, window=timedelta(hours=1))
#: Each sign-up costs an argon2 hash (64 MiB): a handful per client per hour.
SIGNUP_QUOTA = throttle.Quota(limit=5, window=timedelta(hours=1))
#: last_seen_at is written at most this often, so resolving a session is usually a pure read.
TOUCH_INTERVAL = timedelta(minutes=5)
INVALID_LOGIN = "Invalid email or password."
#: Revoked sessions are deleted by prune_expired_sessions after this long.
REVOKED_SESSION_GRACE = timedelta(days=1)

_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
#: verified against when the email is unknown, so both paths cost one argon2 verification.
_DUMMY_HASH = hash_password("not-a-real-password-" + uuid.uuid4().hex)


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def validate_email(email: str) -> str:
    """Return the normalized email or raise a ValidationError naming the problem."""
    value = normalize_email(email)
    if not value:
        raise ValidationError("Enter an email address.", field="email")
    if len(value) > 320 or not _EMAIL_RE.match(value):
        raise ValidationError(f"'{value[:80]}' is not a valid email address.", field="email")
    return value


def validate_password(password: str, *, email: str = "") -> None:
    """Length is what makes passwords strong; refuse the obviously guessable rest."""
    if not password:
        raise ValidationError("Enter a password.", field="password")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters long.", field="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(
            f"Password must be at most {MAX_PASSWORD_LENGTH} characters long.", field="password"
        )
    if not password.strip():
        raise ValidationError("Password cannot be only spaces.", field="password")
    if len(set(password)) < 4:
        raise ValidationError(
            "Password needs more variety: use at least 4 different characters.", field="password"
        )
    if email and password.lower() in {email.lower(), email.split("@")[0].lower()}:
        raise ValidationError("Password must not be your email address.", field="password")


def user_actor(user: User, request: dict | None = None) -> Actor:
    """The Actor that services expect for a signed-in user."""
    return Actor(user_id=user.id, label=user.email, request=dict(request or {}))


def create_user(email: str, password: str, name: str = "") -> User:
    """Sign-up (and `user create`): validate everything before writing one row."""
    email = validate_email(email)
    validate_password(password, email=email)
    name = (name or "").strip()
    if len(name) > 200:
        raise ValidationError("Name must be at most 200 characters.", field="name")
    with session_scope() as s:
        if _user_by_email(s, email) is not None:
            raise Conflict("An account with this email already exists. Sign in instead.", field="email")
        user = User(email=email, password_hash=hash_password(password), name=name)
        s.add(user)
        s.flush()
        activity.record(s, user_actor(user), "user.signed_up", target=email)
    log.info("user created: %s", email)
    return user


def get_user(actor: Actor) -> User:
    """The signed-in user's own account."""
    with session_scope() as s:
        return _require_user(s, actor)


def find_user_id(email: str) -> uuid.UUID:
    """For operator tooling (CLI): the id of the account with this email."""
    with session_scope() as s:
        user = _user_by_email(s, normalize_email(email))
        if user is None:
            raise NotFound(f"No user with email {normalize_email(email)}.", field="email")
        return user.id


def sign_up(email: str, password: str, name: str, client_key: str) -> User:
    """Self-service sign-up: create_user, at most SIGNUP_QUOTA.limit tries per client and hour.

    Every try counts (a refused duplicate too), so the quota also bounds how fast anyone
    can probe which emails have accounts. Operators' `user create` is not throttled.
    """
    key = f"signup:{client_key or 'unknown'}"
    now = utcnow()
    with session_scope() as s:
        wait = throttle.quota_wait(s, key, SIGNUP_QUOTA, now)
        if wait:
            raise throttle.refuse("sign-ups from this network", wait)
        throttle.count(s, [key], now)
    return create_user(email, password, name)


def authenticate(
    email: str,
    password: str,
    client_key: str,
    *,
    user_agent: str | None = None,
    previous_token: str | None = None,
) -> tuple[User, str]:
    """Check credentials and open a session; returns (user, token) — the token only lives in the cookie.

    While the account or the client must still wait (ACCOUNT_BACKOFF, CLIENT_BACKOFF) the
    attempt is refused with RateLimited.retry_after before any password is checked, and is
    not counted. `previous_token` is the browser's earlier session cookie: signing in ends
    that session, whoever it belonged to. The failure message is the same whether or not
    the email exists.
    """
    email = normalize_email(email)
    account_key, client = f"account:{email}", f"client:{client_key or 'unknown'}"
    now = utcnow()
    with session_scope() as s:
        wait = max(
            throttle.backoff_wait(s, account_key, ACCOUNT_BACKOFF, now),
            throttle.backoff_wait(s, client, CLIENT_BACKOFF, now),
        )
        if wait:
            raise throttle.refuse("failed sign-in attempts", wait)
        user = _user_by_email(s, email) if email else None
        ok = verify_password(password or "", user.password_hash if user else _DUMMY_HASH)
        required_by = sso_required_by(s, user.id) if ok and user is not None and user.is_active else []
        if required_by:
            # Said only after the right password, so it tells a stranger nothing about who is a member.
            throttle.forget(s, account_key)
            activity.record(s, user_actor(user, {"ip": client_key}), "user.login_sso_required", target=email)
        elif ok and user is not None and user.is_active:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            throttle.forget(s, account_key)
            token = open_session(s, user, client_key, user_agent, previous_token=previous_token)
            activity.record(s, user_actor(user, {"ip": client_key}), "user.login", target=email)
            return user, token
        else:
            throttle.count(s, [account_key, client], now)
            if user is not None:
                activity.record(s, user_actor(user, {"ip": client_key}), "user.login_failed", target=email)
    raise AuthenticationRequired(password_refusal(required_by) if required_by else INVALID_LOGIN)


def open_session(
    s: Session, user: User, client_key: str, user_agent: str | None, *, previous_token: str | None
) -> str:
    """Open a login session for a user whose identity was proven (password or single sign-on);
    the browser's previous session (`previous_token`) ends, whoever it belonged to."""
    now = utcnow()
    if previous_token:
        _revoke_token(s, previous_token, now)
    return _open_session(s, user, client_key, user_agent, now)


#: Built once, bound at execution: every page event resolves its session, and building these
#: statements each time cost more CPU than running them. The session's columns are read as a row
#: (no UserSession object); the user is returned as the account, as before.
_SESSION_OF_TOKEN = (
    select(
        UserSession.id, UserSession.revoked_at, UserSession.expires_at, UserSession.created_at,
        UserSession.last_seen_at, User,
    )
    .join(User, User.id == UserSession.user_id)
    .where(UserSession.token_hash == bindparam("token_hash"))
)
_TOUCH_SESSION = (
    update(UserSession).where(UserSession.id == bindparam("session_id")).values(last_seen_at=bindparam("now"))
)


def resolve_session(token: str | None) -> User | None:
    """The user behind a session token, or None if unknown, expired, idle too long, revoked or deactivated."""
    if not token:
        return None
    now = utcnow()
    with session_scope() as s:
        row = s.exec(_SESSION_OF_TOKEN, params={"token_hash": hash_token(token)}).first()
        if row is None:
            return None
        session_id, revoked_at, expires_at, created_at, last_seen_at, user = row
        if not _usable_at(revoked_at, expires_at, last_seen_at or created_at, now) or not user.is_active:
            return None
        if last_seen_at is None or now - last_seen_at > TOUCH_INTERVAL:
            s.execute(_TOUCH_SESSION, {"session_id": session_id, "now": now})
        return user


def logout(token: str | None) -> None:
    """Revoke one session (the browser's); unknown tokens are ignored."""
    if not token:
        return
    with session_scope() as s:
        user_session = _revoke_token(s, token, utcnow())
        user = s.get(User, user_session.user_id) if user_session is not None else None
        if user is not None:
            activity.record(s, user_actor(user), "user.logout", target=user.email)


def _revoke_token(s: Session, token: str, now: datetime) -> UserSession | None:
    """Revoke the session behind a token; the row if this revoked it, None if unknown or already ended."""
    user_session = s.exec(select(UserSession).where(UserSession.token_hash == hash_token(token))).first()
    if user_session is None or user_session.revoked_at is not None:
        return None
    user_session.revoked_at = now
    return user_session


def _idle_limit() -> timedelta:
    return timedelta(hours=get_settings().session_idle_hours)


def _usable_at(revoked_at: datetime | None, expires_at: datetime, last_use: datetime, now: datetime) -> bool:
    """Not revoked, not past its absolute expiry, and used within the idle limit."""
    return revoked_at is None and expires_at > now and now - last_use <= _idle_limit()


def logout_everywhere(actor: Actor) -> int:
    """Revoke every open session of the actor; returns how many were open."""
    with session_scope() as s:
        user = _require_user(s, actor)
        count = _revoke_sessions(s, user.id, keep_token=None)
        activity.record(s, actor, "user.logout_everywhere", target=user.email, meta={"sessions": count})
        return count


@dataclass(frozen=True)
class SessionInfo:
    """One open login as its owner sees it; never the token or its hash."""

    id: uuid.UUID
    created_at: datetime
    last_seen_at: datetime | None
    expires_at: datetime
    user_agent: str | None
    ip_address: str | None
    current: bool


def list_sessions(actor: Actor, *, current_token: str | None = None) -> list[SessionInfo]:
    """The actor's open sessions (not revoked, not expired, not idle too long), most recently seen first.

    `current_token` (the browser's cookie) marks which row is the caller's own session.
    """
    current_hash = hash_token(current_token) if current_token else None
    now = utcnow()
    with session_scope() as s:
        user = _require_user(s, actor)
        rows = s.exec(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
                   UserSession.expires_at > now,
                   func.coalesce(UserSession.last_seen_at, UserSession.created_at) >= now - _idle_limit())
            .order_by(func.coalesce(UserSession.last_seen_at, UserSession.created_at).desc())
        ).all()
        return [
            SessionInfo(
                id=r.id, created_at=r.created_at, last_seen_at=r.last_seen_at, expires_at=r.expires_at,
                user_agent=r.user_agent, ip_address=r.ip_address, current=r.token_hash == current_hash,
            )
            for r in rows
        ]


def change_password(actor: Actor, old: str, new: str, *, current_token: str | None = None) -> int:
    """Change the password and revoke every other session (all of them if no current token)."""
    with session_scope() as s:
        user = _require_user(s, actor)
        if not verify_password(old or "", user.password_hash):
            raise ValidationError("Current password is incorrect.", field="old_password")
        validate_password(new, email=user.email)
        if new == old:
            raise ValidationError("The new password must differ from the current one.", field="new_password")
        user.password_hash = hash_password(new)
        revoked = _revoke_sessions(s, user.id, keep_token=current_token)
        activity.record(
            s, actor, "user.password_changed", target=user.email, meta={"revoked_sessions": revoked}
        )
        return revoked


def _require_user(s: Session, actor: Actor) -> User:
    if actor.user_id is None:
        raise AuthenticationRequired("Please sign in to continue.")
    user = s.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise AuthenticationRequired("Please sign in to continue.")
    return user


def _user_by_email(s: Session, email: str) -> User | None:
    return s.exec(select(User).where(func.lower(User.email) == email)).first()


def _open_session(s: Session, user: User, client_key: str, user_agent: str | None, now: datetime) -> str:
    token = new_token()
    s.add(
        UserSession(
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + timedelta(days=get_settings().session_days),
            last_seen_at=now,
            ip_address=(client_key or None) and client_key[:64],
            user_agent=(user_agent or None) and user_agent[:400],
        )
    )
    return token


def _revoke_sessions(s: Session, user_id: uuid.UUID, keep_token: str | None) -> int:
    stmt = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep_token:
        stmt = stmt.where(UserSession.token_hash != hash_token(keep_token))
    return s.execute(stmt.values(revoked_at=utcnow())).rowcount or 0


def prune_login_attempts() -> int:
    """Drop counted attempts no rule looks at any more (the worker calls this; correctness never needs it)."""
    oldest = max(ACCOUNT_BACKOFF.window, CLIENT_BACKOFF.window, SIGNUP_QUOTA.window)
    with session_scope() as s:
        return throttle.prune(s, utcnow() - oldest)


def prune_expired_sessions(now: datetime | None = None) -> int:
    """Delete sessions that can no longer be used: expired, idle too long, or revoked more than a day ago.

    A system job (the worker); resolve_session already refuses them, this only keeps the
    table small. Recently revoked rows stay a little while so the activity around a
    sign-out can still be matched to its session.
    """
    now = now or utcnow()
    with session_scope() as s:
        result = s.execute(
            delete(UserSession).where(
                (UserSession.expires_at <= now)
                | (UserSession.revoked_at <= now - REVOKED_SESSION_GRACE)
                | (func.coalesce(UserSession.last_seen_at, UserSession.created_at) < now - _idle_limit())
            )
        )
        return result.rowcount or 0
