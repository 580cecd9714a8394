"""API tokens: create (shown once), list, revoke, and resolve a presented token to its caller.

A token is a non-human member of exactly one organization. Its scope maps onto a member role
(read -> viewer, scan -> member, admin -> admin) and every call it makes goes through the same
`authorize` rule as people (authz.TokenGrant). Only the SHA-256 of a token is stored.

The per-token rate limit is a fixed one-minute window kept on the token's own row and advanced
by the single UPDATE that records the use: every web process shares it (PostgreSQL is the one
source of truth), the row lock serializes concurrent requests, and it costs no extra query.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import select

from compliance_app.db import session_scope
from compliance_app.models import ApiToken, Organization, Role, TokenScope, User
from compliance_app.models.types import utcnow
from compliance_app.services import activity
from compliance_app.services.authz import (
    Actor,
    Permission,
    TokenGrant,
    authorize,
    authorize_row,
    authorize_slug,
    storable_text,
    uuid_or_not_found,
)
from compliance_app.services.crypto import hash_token, new_token
from compliance_app.services.errors import AuthenticationRequired, RateLimited, ValidationError

#: Tokens start with this, so secret scanners (and people) recognise a leaked one.
TOKEN_PREFIX = "cat_"
SCOPE_ROLES: dict[TokenScope, Role] = {
    TokenScope.READ: Role.VIEWER,
    TokenScope.SCAN: Role.MEMBER,
    TokenScope.ADMIN: Role.ADMIN,
}
MAX_NAME = 100
DEFAULT_EXPIRY = "90d"
MAX_EXPIRY = timedelta(days=365)
_DURATION_RE = re.compile(r"\s*(\d{1,6})\s*([hdw])\s*", re.IGNORECASE)
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
RATE_WINDOW = timedelta(minutes=1)
#: What the WWW-Authenticate-less 401 says for any token that does not work (never which reason).
INVALID_TOKEN = "The API token is missing, invalid, expired or revoked."


@dataclass(frozen=True)
class TokenInfo:
    """What admins see about a token: never the token nor its hash."""

    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    scope: str
    prefix: str
    created_by: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    last_used_ip: str | None

    def status(self, now: datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or utcnow()):
            return "expired"
        return "active"


def _info(row: ApiToken, created_by: str | None) -> TokenInfo:
    return TokenInfo(
        id=row.id, organization_id=row.organization_id, name=row.name, scope=str(row.scope), prefix=row.prefix,
        created_by=created_by, created_at=row.created_at, expires_at=row.expires_at, revoked_at=row.revoked_at,
        last_used_at=row.last_used_at, last_used_ip=row.last_used_ip,
    )


def parse_scope(value: TokenScope | str) -> TokenScope:
    try:
        return TokenScope(value)
    except ValueError:
        raise ValidationError(
            f"Unknown scope '{value}': use one of {', '.join(s.value for s in TokenScope)}.", field="scope"
        ) from None


def validate_token_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError("Give the token a name (e.g. the pipeline that uses it).", field="name")
    if len(name) > MAX_NAME:
        raise ValidationError(f"A token name has at most {MAX_NAME} characters.", field="name")
    if not storable_text(name) or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValidationError("A token name cannot contain control characters.", field="name")
    return name


def parse_token_expiry(text: str | timedelta) -> timedelta:
    """'12h', '90d', '8w' (or a timedelta) -> timedelta within (0, 365 days]: every token expires (a
    forgotten CI secret must not work forever)."""
    if isinstance(text, timedelta):
        value = text
    else:
        match = _DURATION_RE.fullmatch(text) if isinstance(text, str) else None
        if not match:
            raise ValidationError(
                f"Invalid expiry '{text}': use a number followed by h (hours), d (days) or w (weeks), e.g. 90d.",
                field="expires_in",
            )
        value = timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    if value <= timedelta(0):
        raise ValidationError("A token must stay valid for some time: use an expiry above zero.", field="expires_in")
    if value > MAX_EXPIRY:
        raise ValidationError("A token can stay valid for at most one year (365d).", field="expires_in")
    return value


def create_token(
    actor: Actor, slug: str, name: str, scope: TokenScope | str, expires_in: str | timedelta = DEFAULT_EXPIRY
) -> tuple[TokenInfo, str]:
    """Create a token for the organization; returns it once, with what is stored about it."""
    name = validate_token_name(name)
    scope = parse_scope(scope)
    lifetime = parse_token_expiry(expires_in)
    token = TOKEN_PREFIX + new_token()
    now = utcnow()
    with session_scope() as s:
        organization = authorize_slug(s, actor, slug, Permission.MANAGE_TOKENS).organization
        row = ApiToken(
            organization_id=organization.id, name=name, scope=scope, token_hash=hash_token(token),
            prefix=token[: len(TOKEN_PREFIX) + 6], created_by_id=actor.user_id, created_at=now,
            expires_at=now + lifetime,
        )
        s.add(row)
        s.flush()
        activity.record(s, actor, "token.created", organization_id=organization.id, target=name,
                        meta={"name": name, "scope": scope.value, "expires_at": (now + lifetime).isoformat()})
        return _info(row, actor.label or None), token


def list_tokens(actor: Actor, slug: str) -> list[TokenInfo]:
    """Every token of the organization, newest first, revoked and expired ones included."""
    with session_scope() as s:
        organization = authorize_slug(s, actor, slug, Permission.MANAGE_TOKENS).organization
        rows = s.exec(
            select(ApiToken, User.email)
            .join(User, User.id == ApiToken.created_by_id, isouter=True)
            .where(ApiToken.organization_id == organization.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id)
        ).all()
        return [_info(row, email) for row, email in rows]


def revoke_token(actor: Actor, token_id: uuid.UUID | str) -> TokenInfo:
    """Revoke at once (idempotent); the token's next request gets 401."""
    not_found = "API token not found."
    with session_scope() as s:
        row, _access = authorize_row(
            s, actor, ApiToken, uuid_or_not_found(token_id, not_found), Permission.MANAGE_TOKENS, not_found
        )
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            s.add(row)
            activity.record(s, actor, "token.revoked", organization_id=row.organization_id, target=row.name,
                            meta={"name": row.name})
        s.flush()
        return _info(row, None)


def token_organizations(actor: Actor) -> list[Organization]:
    """The organizations a token belongs to: exactly its own (for GET /api/v1/orgs)."""
    if actor.token is None:
        raise AuthenticationRequired(INVALID_TOKEN)
    with session_scope() as s:
        organization = authorize(s, actor, actor.token.organization_id, Permission.READ).organization
        s.expunge(organization)
        return [organization]


def authenticate_token(token: str, ip: str, rate_limit: int, now: datetime | None = None) -> Actor:
    """The caller a presented token stands for, recording its use (time, IP) and counting it
    against its `rate_limit` requests per minute. AuthenticationRequired for any token that
    does not work (unknown, expired, revoked: one message); RateLimited with `retry_after`
    past the limit."""
    now = now or utcnow()
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise AuthenticationRequired(INVALID_TOKEN)
    in_window = ApiToken.window_started_at > now - RATE_WINDOW
    statement = (
        sa.update(ApiToken)
        .where(
            ApiToken.token_hash == hash_token(token),
            ApiToken.revoked_at.is_(None),
            sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
        )
        .values(
            window_count=sa.case((in_window, ApiToken.window_count + 1), else_=1),
            window_started_at=sa.case((in_window, ApiToken.window_started_at), else_=now),
            last_used_at=now,
            last_used_ip=ip[:64],
        )
        .returning(ApiToken.id, ApiToken.organization_id, ApiToken.scope, ApiToken.name,
                   ApiToken.window_count, ApiToken.window_started_at)
    )
    with session_scope() as s:
        found = s.execute(statement).first()
    if found is None:
        raise AuthenticationRequired(INVALID_TOKEN)
    token_id, organization_id, scope, name, count, started = found
    if count > rate_limit:
        wait = max(1, math.ceil((started + RATE_WINDOW - now).total_seconds()))
        raise RateLimited(
            f"Too many requests with this token ({rate_limit} a minute). Try again in {wait} seconds.",
            retry_after=wait,
        )
    return Actor(
        user_id=None, label=f"API token “{name}”", request={"ip": ip[:64], "api_client": str(token_id)},
        token=TokenGrant(token_id=token_id, organization_id=organization_id, role=SCOPE_ROLES[TokenScope(scope)]),
    )
