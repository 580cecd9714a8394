"""Public links to a snapshot: anyone holding the token can read it, nobody else.

The token (256 random bits) is shown once and stored only as its SHA-256. Resolving a
token is one indexed UPDATE … RETURNING whose WHERE clause also checks expiry and
revocation, so an expired, revoked, unknown or malformed token all cost the same work
and end in the same NotFound: nothing tells a guesser which case they hit.

Each link says how much it discloses (services/redaction.py): new links redact
identifiers unless their creator chooses otherwise.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from compliance_app.db import session_scope
from compliance_app.models import AuditSnapshot, PublicLink, User
from compliance_app.models.snapshot import LinkDisclosure
from compliance_app.models.types import utcnow
from compliance_app.services import activity, crypto, plans, redaction
from compliance_app.services.authz import ROW_ID_MAX, Actor, Permission, authorize_row, parse_uuid
from compliance_app.services.errors import NotFound, ValidationError
from compliance_app.services.snapshots import authorize_org

DEFAULT_EXPIRY = timedelta(days=30)
MAX_EXPIRY = timedelta(days=365)
MAX_LABEL = 200
TOKEN_BYTES = 32
#: The one message for every token that does not open a snapshot.
LINK_NOT_FOUND = "Link not found or expired."

_DURATION_RE = re.compile(r"\s*(\d{1,6})\s*([hdw])\s*", re.IGNORECASE)
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_expires_in(text: str) -> timedelta:
    """'12h', '7d', '2w' -> timedelta, within (0, 1 year]; a readable error otherwise."""
    match = _DURATION_RE.fullmatch(text or "")
    if not match:
        raise ValidationError(
            f"Invalid expiry '{text}': use a number followed by h (hours), d (days) or w (weeks), e.g. 7d.",
            field="expires_in",
        )
    value = timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    _check_expiry(value)
    return value


def _check_expiry(expires_in: timedelta) -> None:
    if expires_in <= timedelta(0):
        raise ValidationError(
            "A link must stay valid for some time: use an expiry above zero.", field="expires_in"
        )
    if expires_in > MAX_EXPIRY:
        raise ValidationError("A link can stay valid for at most one year (365d).", field="expires_in")


@dataclass(frozen=True)
class LinkInfo:
    """What the organization sees about a link; never the token nor its hash."""

    id: uuid.UUID
    snapshot_id: int
    label: str
    status: str  # active | expired | revoked
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    view_count: int
    last_viewed_at: datetime | None
    created_by: str | None
    disclosure: str = LinkDisclosure.REDACT.value

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "snapshot_id": self.snapshot_id,
            "label": self.label,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "view_count": self.view_count,
            "last_viewed_at": self.last_viewed_at.isoformat() if self.last_viewed_at else None,
            "created_by": self.created_by,
            "disclosure": self.disclosure,
        }


@dataclass(frozen=True)
class PublicSnapshot:
    """Everything a public reader gets: the data and what is needed to verify it.

    For a link that hides or redacts, `data` is the derived copy, `checksum` its own, and
    `original_checksum` the checksum of the snapshot it was derived from (None when the
    link shows the snapshot itself).
    """

    data: dict[str, Any]
    checksum: str
    created_at: datetime
    disclosure: str = LinkDisclosure.FULL.value
    original_checksum: str | None = None
    snapshot_id: int = 0


def link_status(link: PublicLink, now: datetime | None = None) -> str:
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def _info(link: PublicLink, created_by: str | None = None) -> LinkInfo:
    return LinkInfo(
        id=link.id,
        snapshot_id=link.snapshot_id,
        label=link.label,
        status=link_status(link),
        created_at=link.created_at,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
        view_count=link.view_count,
        last_viewed_at=link.last_viewed_at,
        created_by=created_by,
        disclosure=LinkDisclosure(link.disclosure).value,
    )


def parse_disclosure(value: LinkDisclosure | str) -> LinkDisclosure:
    """'redact' | 'hide_raw' (or 'hide-raw') | 'full' -> LinkDisclosure; a readable error otherwise."""
    try:
        return LinkDisclosure(str(value).strip().lower().replace("-", "_"))
    except ValueError:
        choices = ", ".join(d.value for d in LinkDisclosure)
        raise ValidationError(
            f"Unknown disclosure '{str(value)[:40]}': choose one of {choices}.", field="disclosure"
        ) from None


def create_link(
    actor: Actor,
    snapshot_id: int,
    expires_in: timedelta = DEFAULT_EXPIRY,
    label: str = "",
    disclosure: LinkDisclosure | str = LinkDisclosure.REDACT,
) -> tuple[LinkInfo, str]:
    """A new link (admins); returns it with the token, which is never retrievable again.

    `disclosure` is how much of the snapshot the link shows; identifiers are redacted
    unless the creator asks for more (or less).
    """
    _check_expiry(expires_in)
    disclosure = parse_disclosure(disclosure)
    label = (label or "").strip()
    if len(label) > MAX_LABEL:
        raise ValidationError(
            f"The label is too long ({len(label)} characters, at most {MAX_LABEL}).", field="label"
        )
    with session_scope() as s:
        snapshot, access = authorize_row(
            s, actor, AuditSnapshot, snapshot_id, Permission.MANAGE_SHARES, f"Snapshot {snapshot_id} not found."
        )
        plans.check_share_link_limit(s, access.organization)
        token = crypto.new_token(TOKEN_BYTES)
        link = PublicLink(
            snapshot_id=snapshot.id,
            organization_id=snapshot.organization_id,
            token_hash=crypto.hash_token(token),
            label=label,
            created_by_id=actor.user_id,
            expires_at=utcnow() + expires_in,
            disclosure=disclosure,
        )
        s.add(link)
        s.flush()
        activity.record(
            s, actor, "share.create", organization_id=snapshot.organization_id, target=f"link:{link.id}",
            meta={"snapshot_id": snapshot.id, "expires_at": link.expires_at.isoformat(), "label": label,
                  "disclosure": disclosure.value},
        )
        return _info(link, actor.label or None), token


def revoke_link(actor: Actor, link_id: uuid.UUID | str) -> LinkInfo:
    """Stop a link from working (admins). Revoking twice keeps the first revocation time."""
    link_uuid = parse_uuid(link_id, "link_id", "a link")
    with session_scope() as s:
        link = authorize_row(
            s, actor, PublicLink, link_uuid, Permission.MANAGE_SHARES, f"Link {link_uuid} not found."
        )[0]
        if link.revoked_at is None:
            link.revoked_at = utcnow()
            activity.record(
                s, actor, "share.revoke", organization_id=link.organization_id, target=f"link:{link.id}"
            )
        s.flush()
        return _info(link)


def list_links(actor: Actor, org: uuid.UUID | str, snapshot_id: int | None = None) -> list[LinkInfo]:
    """The organization's links, newest first (admins manage them, so admins list them)."""
    with session_scope() as s:
        access = authorize_org(s, actor, org, Permission.MANAGE_SHARES)
        return links_in(s, access.organization.id, snapshot_id)


def links_in(s: Session, organization_id: uuid.UUID, snapshot_id: int | None = None) -> list[LinkInfo]:
    """list_links in the caller's transaction (the caller has authorized MANAGE_SHARES)."""
    stmt = (
        select(PublicLink, User.email)
        .outerjoin(User, User.id == PublicLink.created_by_id)
        .where(PublicLink.organization_id == organization_id)
        .order_by(col(PublicLink.created_at).desc())
    )
    if snapshot_id is not None:
        if not 0 < snapshot_id <= ROW_ID_MAX:
            return []  # no snapshot has that id
        stmt = stmt.where(PublicLink.snapshot_id == snapshot_id)
    return [_info(link, email) for link, email in s.exec(stmt).all()]


def resolve_public(token: str) -> PublicSnapshot:
    """The snapshot behind a live link, counting the view; NotFound(LINK_NOT_FOUND) otherwise.

    No shortcut for malformed input: whatever arrives is hashed and looked up the same way.
    """
    token_hash = crypto.hash_token(token if isinstance(token, str) else "")
    now = utcnow()
    with session_scope() as s:
        found = s.execute(
            sa.update(PublicLink)
            .where(
                PublicLink.token_hash == token_hash,
                col(PublicLink.revoked_at).is_(None),
                PublicLink.expires_at > now,
            )
            .values(view_count=PublicLink.view_count + 1, last_viewed_at=now)
            .returning(PublicLink.snapshot_id, PublicLink.disclosure)
        ).one_or_none()
        if found is None:
            raise NotFound(LINK_NOT_FOUND)
        row = s.execute(
            sa.select(AuditSnapshot.data, AuditSnapshot.checksum, AuditSnapshot.created_at).where(
                AuditSnapshot.id == found.snapshot_id
            )
        ).one()
    disclosure = LinkDisclosure(found.disclosure)
    data, checksum = redaction.disclose(row.data, row.checksum, disclosure)
    return PublicSnapshot(
        data=data,
        checksum=checksum,
        created_at=row.created_at,
        disclosure=disclosure.value,
        original_checksum=None if disclosure == LinkDisclosure.FULL else row.checksum,
        snapshot_id=found.snapshot_id,
    )


def is_live_link(token: str) -> bool:
    """Whether a share token opens a live link, without counting a view: the public page's
    first response answers 404 for a dead link (the page itself counts the view)."""
    token_hash = crypto.hash_token(token if isinstance(token, str) else "")
    with session_scope() as s:
        return s.execute(
            sa.select(PublicLink.id).where(
                PublicLink.token_hash == token_hash,
                col(PublicLink.revoked_at).is_(None),
                PublicLink.expires_at > utcnow(),
            )
        ).first() is not None
