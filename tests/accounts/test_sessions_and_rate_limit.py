"""Login throttling per account and per client; session expiry, revocation and hashing."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from compliance_app.db import session_scope
from compliance_app.models import ActivityLog, LoginAttempt, User, UserSession
from compliance_app.models.types import utcnow
from compliance_app.services import accounts
from compliance_app.services import organizations as orgs
from compliance_app.services.crypto import hash_token
from compliance_app.services.errors import AuthenticationRequired, RateLimited, ValidationError
from tests.factories import DEFAULT_PASSWORD, actor_for, make_org, make_user


def fail_login(email: str, client: str) -> Exception:
    with pytest.raises((AuthenticationRequired, RateLimited)) as info:
        accounts.authenticate(email, "wrong password!", client)
    return info.value


class Clock:
    """The accounts service's idea of now, moved by the test (no sleeping)."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(accounts, "utcnow", fake)
    return fake


def wait_after(email: str, password: str, client: str) -> int:
    """The Retry-After an attempt gets now (0 when it is let through to the password check)."""
    try:
        accounts.authenticate(email, password, client)
    except RateLimited as exc:
        return exc.retry_after
    except AuthenticationRequired:
        return 0
    return 0


def test_account_wait_grows_with_consecutive_failures_up_to_a_minute(db: str, clock: Clock) -> None:
    user = make_user(email="victim@example.com")
    waits = []
    for i in range(12):
        fail_login(user.email, f"10.0.0.{i}")  # a new client each time: only the account counts
        if i >= 2:  # from the third failure on, even the right password waits (a success would reset)
            waits.append(wait_after(user.email, DEFAULT_PASSWORD, "10.9.9.9"))
        clock.advance(61)
    assert waits[:5] == [1, 2, 4, 8, 16]
    assert waits == sorted(waits) and max(waits) == accounts.MAX_WAIT == 60


def test_right_password_is_never_refused_for_more_than_a_minute(db: str, clock: Clock) -> None:
    """Failing on purpose cannot keep the owner out: at most 60 s after the last failure."""
    user = make_user(email="admin@example.com")
    for i in range(40):
        fail_login(user.email, f"203.0.113.{i}")
        clock.advance(61)
    fail_login(user.email, "203.0.113.250")
    with pytest.raises(RateLimited, match="Try again in") as info:
        accounts.authenticate(user.email, DEFAULT_PASSWORD, "198.51.100.1")
    assert info.value.retry_after == 60
    clock.advance(60)
    assert accounts.authenticate(user.email, DEFAULT_PASSWORD, "198.51.100.1")[0].id == user.id


def test_refused_attempts_cost_no_hash_and_do_not_extend_the_wait(
    db: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user()
    for _ in range(7):
        fail_login(user.email, "c")
        clock.advance(61)
    fail_login(user.email, "c")
    first = wait_after(user.email, "wrong password!", "c")
    checked = []
    monkeypatch.setattr(accounts, "verify_password", lambda *a: checked.append(a) or False)
    later = []
    for _ in range(5):
        clock.advance(1)
        later.append(wait_after(user.email, "wrong password!", "c"))
    assert first == 32 and later == [31, 30, 29, 28, 27]
    assert checked == []  # no argon2 work while refused
    with session_scope() as s:
        assert s.exec(select(sa.func.count()).select_from(LoginAttempt)).one() == 2 * 8


def test_unknown_email_behaves_exactly_like_a_known_one(db: str, clock: Clock) -> None:
    make_user(email="known@example.com")
    known = [type(fail_login("known@example.com", "1.1.1.1")).__name__ for _ in range(5)]
    unknown = [type(fail_login("nobody@example.com", "2.2.2.2")).__name__ for _ in range(5)]
    assert known == unknown == ["AuthenticationRequired"] * 3 + ["RateLimited"] * 2


def test_client_waits_across_accounts_but_others_still_log_in(db: str, clock: Clock) -> None:
    user = make_user()
    for i in range(accounts.CLIENT_BACKOFF.free):
        fail_login(f"guess{i}@example.com", "6.6.6.6")
    with pytest.raises(RateLimited):
        accounts.authenticate(user.email, DEFAULT_PASSWORD, "6.6.6.6")
    assert accounts.authenticate(user.email, DEFAULT_PASSWORD, "7.7.7.7")[0].id == user.id


def test_success_clears_the_account_counter(db: str, clock: Clock) -> None:
    user = make_user()
    for _ in range(2):
        fail_login(user.email, "4.4.4.4")
    accounts.authenticate(user.email, DEFAULT_PASSWORD, "5.5.5.5")
    for _ in range(3):
        assert isinstance(fail_login(user.email, "5.5.5.6"), AuthenticationRequired)


def test_sessions_end_after_the_idle_limit(db: str) -> None:
    user = make_user()
    _user, token = accounts.authenticate(user.email, DEFAULT_PASSWORD, "c")
    with session_scope() as s:
        s.execute(sa.update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=11, minutes=50)))
    assert accounts.resolve_session(token) is not None  # used recently enough (and touched again now)
    with session_scope() as s:
        s.execute(sa.update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=12, minutes=1)))
    assert accounts.resolve_session(token) is None
    assert accounts.list_sessions(actor_for(user)) == []
    assert accounts.prune_expired_sessions() == 1


def test_signing_in_again_ends_the_browsers_previous_session(db: str) -> None:
    first, second = make_user(email="first@example.com"), make_user(email="second@example.com")
    _user, old = accounts.authenticate(first.email, DEFAULT_PASSWORD, "c")
    _user, new = accounts.authenticate(second.email, DEFAULT_PASSWORD, "c", previous_token=old)
    assert accounts.resolve_session(old) is None
    assert accounts.resolve_session(new).id == second.id


def test_sign_up_is_throttled_per_client(db: str) -> None:
    for i in range(accounts.SIGNUP_QUOTA.limit):
        accounts.sign_up(f"new{i}@example.com", DEFAULT_PASSWORD, "", "192.0.2.10")
    with pytest.raises(RateLimited, match="sign-ups") as info:
        accounts.sign_up("one-more@example.com", DEFAULT_PASSWORD, "", "192.0.2.10")
    assert 3500 < info.value.retry_after <= 3600
    with session_scope() as s:
        assert s.exec(select(User).where(User.email == "one-more@example.com")).first() is None
    assert accounts.sign_up("elsewhere@example.com", DEFAULT_PASSWORD, "", "192.0.2.11").email


def test_session_token_is_stored_hashed_and_resolves(db: str) -> None:
    user = make_user()
    _user, token = accounts.authenticate(user.email.upper(), DEFAULT_PASSWORD, "1.2.3.4", user_agent="pytest")
    with session_scope() as s:
        row = s.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    assert row.ip_address == "1.2.3.4" and row.user_agent == "pytest"
    assert accounts.resolve_session(token).id == user.id
    assert accounts.resolve_session(token + "x") is None
    assert accounts.resolve_session("") is None


def test_session_expiry(db: str) -> None:
    user = make_user()
    _user, token = accounts.authenticate(user.email, DEFAULT_PASSWORD, "c")
    with session_scope() as s:
        s.execute(sa.update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert accounts.resolve_session(token) is None


def test_last_seen_is_touched_at_most_every_few_minutes(db: str) -> None:
    user = make_user()
    _user, token = accounts.authenticate(user.email, DEFAULT_PASSWORD, "c")
    old = utcnow() - timedelta(minutes=10)
    with session_scope() as s:
        s.execute(sa.update(UserSession).values(last_seen_at=old))
    accounts.resolve_session(token)
    with session_scope() as s:
        first = s.exec(select(UserSession.last_seen_at)).one()
    assert first > old
    accounts.resolve_session(token)
    with session_scope() as s:
        assert s.exec(select(UserSession.last_seen_at)).one() == first


def test_logout_revokes_only_that_session(db: str) -> None:
    user = make_user()
    _u, a = accounts.authenticate(user.email, DEFAULT_PASSWORD, "c")
    _u, b = accounts.authenticate(user.email, DEFAULT_PASSWORD, "c")
    accounts.logout(a)
    assert accounts.resolve_session(a) is None
    assert accounts.resolve_session(b) is not None


def test_logout_everywhere(db: str) -> None:
    user = make_user()
    tokens = [accounts.authenticate(user.email, DEFAULT_PASSWORD, "c")[1] for _ in range(3)]
    assert accounts.logout_everywhere(actor_for(user)) == 3
    assert all(accounts.resolve_session(t) is None for t in tokens)


def test_deactivated_user_loses_sessions_and_cannot_log_in(db: str) -> None:
    user = make_user()
    _u, token = accounts.authenticate(user.email, DEFAULT_PASSWORD, "c")
    with session_scope() as s:
        s.execute(sa.update(User).values(is_active=False))
    assert accounts.resolve_session(token) is None
    with pytest.raises(AuthenticationRequired, match="Invalid email or password"):
        accounts.authenticate(user.email, DEFAULT_PASSWORD, "c")


def test_change_password_revokes_other_sessions(db: str) -> None:
    user = make_user()
    _u, current = accounts.authenticate(user.email, DEFAULT_PASSWORD, "c")
    _u, other = accounts.authenticate(user.email, DEFAULT_PASSWORD, "c")
    with pytest.raises(ValidationError, match="Current password is incorrect"):
        accounts.change_password(actor_for(user), "not it at all", "a brand new password")
    with pytest.raises(ValidationError, match="at least 12"):
        accounts.change_password(actor_for(user), DEFAULT_PASSWORD, "short")
    assert accounts.change_password(actor_for(user), DEFAULT_PASSWORD, "a brand new password",
                                    current_token=current) == 1  # fmt: skip
    assert accounts.resolve_session(current) is not None
    assert accounts.resolve_session(other) is None
    with pytest.raises(AuthenticationRequired):
        accounts.authenticate(user.email, DEFAULT_PASSWORD, "d")
    accounts.authenticate(user.email, "a brand new password", "d")


def test_activity_records_logins_and_membership_changes(db: str, caplog: pytest.LogCaptureFixture) -> None:
    owner = make_user(email="owner@example.com")
    org = make_org(owner=owner)
    accounts.authenticate(owner.email, DEFAULT_PASSWORD, "9.9.9.9")
    fail_login(owner.email, "9.9.9.9")
    with caplog.at_level(logging.INFO, logger="compliance_app.services.organizations"):
        _inv, token = orgs.invite_member(actor_for(owner), org.id, "new@example.com", "member")
    assert any(r.levelno == logging.INFO and "new@example.com" in r.getMessage() for r in caplog.records)
    assert token not in caplog.text and hash_token(token) not in caplog.text
    newcomer = make_user(email="new@example.com")
    orgs.accept_invitation(actor_for(newcomer), token)
    orgs.change_role(actor_for(owner), org.id, newcomer.id, "viewer")
    orgs.remove_member(actor_for(owner), org.id, newcomer.id)
    page = orgs.list_activity(actor_for(owner), org.id)
    actions = [r.action for r in page.rows]
    assert actions[:4] == ["member.removed", "member.role_changed", "member.joined", "member.invited"]
    assert {"user.login", "user.login_failed"} <= set(actions)
    login = next(r for r in page.rows if r.action == "user.login")
    assert login.meta.get("ip") == "9.9.9.9" and login.actor == owner.email
    with session_scope() as s:
        metas = [str(m) for m in s.exec(select(ActivityLog.meta)).all()]
    assert not any(token in m or DEFAULT_PASSWORD in m for m in metas)
    assert page.total == len(page.rows)


def test_activity_shows_account_events_only_from_when_the_member_joined(db: str) -> None:
    owner = make_user(email="owner@example.com")
    org = make_org(owner=owner)
    newcomer = make_user(email="newcomer@example.com")
    accounts.authenticate(newcomer.email, DEFAULT_PASSWORD, "203.0.113.7")  # before joining: private
    _inv, token = orgs.invite_member(actor_for(owner), org.id, newcomer.email, "member")
    orgs.accept_invitation(actor_for(newcomer), token)
    accounts.authenticate(newcomer.email, DEFAULT_PASSWORD, "198.51.100.9")  # as a member: shown
    outsider = make_user(email="outsider@example.com")
    accounts.authenticate(outsider.email, DEFAULT_PASSWORD, "192.0.2.1")
    rows = orgs.list_activity(actor_for(owner), org.id).rows
    logins = [(r.actor, r.meta.get("ip")) for r in rows if r.action == "user.login"]
    assert logins == [(newcomer.email, "198.51.100.9")]
    assert not any(r.action == "user.signed_up" and r.actor == newcomer.email for r in rows)
