"""Organizations (tenants), memberships, invitations and the organization's activity trail.

Every entry point authorizes first through services.authz; the membership invariants
(the owner stays an admin and a member; at least one admin remains) are enforced here,
whoever calls.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from compliance_app.db import session_scope
from compliance_app.models import ActivityLog, Invitation, Membership, Organization, Role, User
from compliance_app.models.types import utcnow
from compliance_app.services import activity
from compliance_app.services.accounts import normalize_email, validate_email
from compliance_app.services.authz import Access, Actor, Permission, authorize, authorize_slug, uuid_or_not_found
from compliance_app.services.crypto import hash_token, new_token
from compliance_app.services.errors import (
    AuthenticationRequired,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from compliance_app.services.scans import MAX_PAGE
from compliance_app.settings import get_settings

log = logging.getLogger(__name__)

INVITATION_TTL = timedelta(days=7)
SLUG_MIN, SLUG_MAX = 3, 50
_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
#: Slugs that would shadow routes or impersonate the product.
# fmt: off
RESERVED_SLUGS = frozenset({
    "account", "admin", "administrator", "api", "app", "assets", "auth", "billing", "compliance",
    "dashboard", "docs", "help", "invite", "login", "logout", "me", "new", "null", "o", "org", "orgs",
    "ping", "public", "root", "settings", "share", "signup", "static", "status", "support", "system",
    "undefined", "www",
})
# fmt: on
INVALID_INVITATION = "This invitation link is invalid or has been revoked."


@dataclass(frozen=True)
class MemberRow:
    user_id: str
    email: str
    name: str
    role: str
    is_owner: bool
    joined_at: datetime


@dataclass(frozen=True)
class InvitationRow:
    id: str
    email: str
    role: str
    expires_at: datetime
    invited_by: str


@dataclass(frozen=True)
class ActivityRow:
    id: int
    created_at: datetime
    actor: str
    action: str
    target: str
    meta: dict[str, Any]
    #: how sentences name the actor ("Ann accepted …"): their current name, else `actor`, the label
    #: kept at the time (an email, or "system" and the like for entries no person made)
    who: str = ""


@dataclass(frozen=True)
class ActivityPage:
    rows: list[ActivityRow]
    total: int
    page: int
    page_size: int


@dataclass(frozen=True)
class InvitationPreview:
    organization_name: str
    email: str
    role: str
    expires_at: datetime


# --- validation ---------------------------------------------------------------------------


def validate_slug(slug: str) -> str:
    value = (slug or "").strip()
    if not value:
        raise ValidationError("Enter a URL slug.", field="slug")
    if not SLUG_MIN <= len(value) <= SLUG_MAX:
        raise ValidationError(f"The slug must be {SLUG_MIN} to {SLUG_MAX} characters long.", field="slug")
    if not _SLUG_RE.match(value):
        raise ValidationError(
            "The slug may contain only lowercase letters, digits and hyphens, "
            "and must start and end with a letter or digit.",
            field="slug",
        )
    if value in RESERVED_SLUGS:
        raise ValidationError(f"'{value}' is reserved; choose another slug.", field="slug")
    return value


def validate_name(name: str) -> str:
    value = " ".join((name or "").split())
    if not value:
        raise ValidationError("Enter an organization name.", field="name")
    if len(value) > 200:
        raise ValidationError("The name must be at most 200 characters.", field="name")
    return value


def validate_role(role: Role | str) -> Role:
    try:
        return Role(str(role).strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValidationError(f"'{role}' is not a role; choose one of: {allowed}.", field="role") from None


def slugify(name: str) -> str:
    """The slug a name suggests (the user may edit it before creating)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:SLUG_MAX].strip("-")
    return slug


# --- organizations ------------------------------------------------------------------------


def create_organization(
    actor: Actor, name: str, slug: str | None = None, *, owner_email: str | None = None
) -> Organization:
    """Create an organization owned by the actor (operators name the owner by email instead).

    Without an explicit slug one is derived from the name, with a numeric suffix if taken;
    an explicit slug that is taken is refused.
    """
    name = validate_name(name)
    explicit = bool(slug and slug.strip())
    candidate = validate_slug(slug.strip()) if explicit else _derived_slug(name)
    with session_scope() as s:
        owner = _owner_for_create(s, actor, owner_email)
        if explicit:
            if _slug_taken(s, candidate):
                raise Conflict(f"The slug '{candidate}' is already taken.", field="slug")
        else:
            candidate = _free_slug(s, candidate)
        org = Organization(name=name, slug=candidate, owner_id=owner.id)
        s.add(org)
        s.flush()
        s.add(Membership(user_id=owner.id, organization_id=org.id, role=Role.ADMIN))
        activity.record(s, actor, "organization.created", organization_id=org.id, target=candidate)
        _flush_unique(s, candidate)
        return org


def get_organization_for(actor: Actor, slug: str) -> Access:
    """The organization behind a URL slug and the actor's role in it (NotFound for outsiders)."""
    with session_scope() as s:
        return authorize_slug(s, actor, (slug or "").strip().lower(), Permission.READ)


def list_my_organizations(actor: Actor) -> list[dict[str, str]]:
    """The organizations the actor belongs to, for the switcher: slug, name, role."""
    if actor.user_id is None:
        raise AuthenticationRequired("Please sign in to continue.")
    with session_scope() as s:
        return organizations_of(s, actor.user_id)


#: Built once, bound at execution: every organization page load reads it, and building the
#: statement each time cost about as much CPU as running it.
_ORGANIZATIONS_OF = (
    select(Organization.slug, Organization.name, Membership.role)
    .join(Membership, Membership.organization_id == Organization.id)
    .where(Membership.user_id == bindparam("user_id"))
    .order_by(func.lower(Organization.name))
)


def organizations_of(s: Session, user_id: uuid.UUID) -> list[dict[str, str]]:
    """list_my_organizations inside a caller's transaction (the user is the caller)."""
    rows = s.exec(_ORGANIZATIONS_OF, params={"user_id": user_id}).all()
    return [{"slug": slug, "name": name, "role": str(role)} for slug, name, role in rows]


def update_organization(
    actor: Actor, organization_id: uuid.UUID, *, name: str | None = None, slug: str | None = None
) -> Organization:
    """Rename and/or change the slug (old /o/{slug} URLs stop working)."""
    new_name = validate_name(name) if name is not None else None
    new_slug = validate_slug(slug.strip()) if slug is not None else None
    with session_scope() as s:
        org = authorize(s, actor, organization_id, Permission.MANAGE_ORGANIZATION).organization
        changes: dict[str, Any] = {}
        if new_name is not None and new_name != org.name:
            changes["name"] = {"from": org.name, "to": new_name}
            org.name = new_name
        if new_slug is not None and new_slug != org.slug:
            if _slug_taken(s, new_slug):
                raise Conflict(f"The slug '{new_slug}' is already taken.", field="slug")
            changes["slug"] = {"from": org.slug, "to": new_slug}
            org.slug = new_slug
        if changes:
            s.add(org)
            activity.record(s, actor, "organization.updated", organization_id=org.id, target=org.slug, meta=changes)
            _flush_unique(s, org.slug)
        return org


# --- members ------------------------------------------------------------------------------


def list_members(actor: Actor, organization_id: uuid.UUID) -> list[MemberRow]:
    with session_scope() as s:
        org = authorize(s, actor, organization_id, Permission.READ).organization
        rows = s.exec(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organization_id == organization_id)
            .order_by(func.lower(User.email))
        ).all()
        return [
            MemberRow(
                user_id=str(user.id),
                email=user.email,
                name=user.name,
                role=str(m.role),
                is_owner=user.id == org.owner_id,
                joined_at=m.created_at,
            )
            for m, user in rows
        ]


def add_member(actor: Actor, organization_id: uuid.UUID, email: str, role: Role | str) -> MemberRow:
    """Add an existing account directly (operators; admins normally invite)."""
    role = validate_role(role)
    email = validate_email(email)
    with session_scope() as s:
        org = authorize(s, actor, organization_id, Permission.MANAGE_MEMBERS).organization
        user = s.exec(select(User).where(func.lower(User.email) == email)).first()
        if user is None:
            raise NotFound(f"No user with email {email}; create the account first.", field="email")
        if _membership(s, organization_id, user.id) is not None:
            raise Conflict(f"{email} is already a member of {org.name}.", field="email")
        membership = Membership(user_id=user.id, organization_id=organization_id, role=role)
        s.add(membership)
        activity.record(
            s, actor, "member.added", organization_id=organization_id, target=email, meta={"role": role.value}
        )
        s.flush()
        return MemberRow(str(user.id), user.email, user.name, role.value, False, membership.created_at)


def change_role(actor: Actor, organization_id: uuid.UUID, user_id: uuid.UUID | str, role: Role | str) -> None:
    role = validate_role(role)
    with session_scope() as s:
        org = authorize(s, actor, organization_id, Permission.MANAGE_MEMBERS).organization
        membership, user = _member(s, organization_id, user_id)
        if membership.role == role:
            return
        if role != Role.ADMIN:
            if user.id == org.owner_id:
                raise Conflict("The owner must stay an admin; transfer ownership first.", field="role")
            _ensure_other_admin(s, organization_id, user.id, "demote")
        previous = membership.role
        membership.role = role
        s.add(membership)
        activity.record(
            s,
            actor,
            "member.role_changed",
            organization_id=organization_id,
            target=user.email,
            meta={"from": str(previous), "to": role.value},
        )


def remove_member(actor: Actor, organization_id: uuid.UUID, user_id: uuid.UUID | str) -> None:
    with session_scope() as s:
        org = authorize(s, actor, organization_id, Permission.MANAGE_MEMBERS).organization
        membership, user = _member(s, organization_id, user_id)
        if user.id == org.owner_id:
            raise Conflict("The owner cannot be removed; transfer ownership first.")
        if membership.role == Role.ADMIN:
            _ensure_other_admin(s, organization_id, user.id, "remove")
        s.delete(membership)
        activity.record(s, actor, "member.removed", organization_id=organization_id, target=user.email)


def leave_organization(actor: Actor, organization_id: uuid.UUID) -> None:
    with session_scope() as s:
        org = authorize(s, actor, organization_id, Permission.READ).organization
        if actor.user_id is None:  # the system actor is no member
            raise ValidationError("Only a member can leave an organization.")
        membership, user = _member(s, organization_id, actor.user_id)
        if user.id == org.owner_id:
            raise Conflict("You own this organization; transfer ownership before leaving.")
        if membership.role == Role.ADMIN:
            _ensure_other_admin(s, organization_id, user.id, "leave")
        s.delete(membership)
        activity.record(s, actor, "member.left", organization_id=organization_id, target=user.email)


def transfer_ownership(actor: Actor, organization_id: uuid.UUID, new_owner_id: uuid.UUID | str) -> None:
    """Hand the organization to another member, who becomes (or stays) an admin."""
    with session_scope() as s:
        org = authorize(s, actor, organization_id, Permission.TRANSFER_OWNERSHIP).organization
        membership, user = _member(s, organization_id, new_owner_id)
        if user.id == org.owner_id:
            raise Conflict(f"{user.email} already owns this organization.")
        previous = org.owner_id
        org.owner_id = user.id
        membership.role = Role.ADMIN
        s.add_all([org, membership])
        activity.record(
            s,
            actor,
            "organization.ownership_transferred",
            organization_id=organization_id,
            target=user.email,
            meta={"previous_owner_id": str(previous)},
        )


# --- invitations --------------------------------------------------------------------------


def invitation_url(token: str) -> str:
    return f"{get_settings().app_url.rstrip('/')}/invite/{token}"


def invite_member(actor: Actor, organization_id: uuid.UUID, email: str, role: Role | str) -> tuple[Invitation, str]:
    """Create an invitation; returns it with the token (shown to the admin once, never stored).

    A newer invitation for the same email replaces pending ones. With no mail server the
    admin passes the link on; the log says an invitation exists, never its token.
    """
    role = validate_role(role)
    email = validate_email(email)
    with session_scope() as s:
        org = authorize(s, actor, organization_id, Permission.MANAGE_MEMBERS).organization
        existing = s.exec(
            select(Membership)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organization_id == organization_id, func.lower(User.email) == email)
        ).first()
        if existing is not None:
            raise Conflict(f"{email} is already a member of {org.name}.", field="email")
        now = utcnow()
        for pending in _pending_invitations(s, organization_id, now, email=email):
            pending.revoked_at = now
            s.add(pending)
        token = new_token()
        invitation = Invitation(
            organization_id=organization_id,
            email=email,
            role=role,
            token_hash=hash_token(token),
            invited_by_id=actor.user_id,
            created_at=now,
            expires_at=now + INVITATION_TTL,
        )
        s.add(invitation)
        activity.record(
            s,
            actor,
            "member.invited",
            organization_id=organization_id,
            target=email,
            meta={"role": role.value},
        )
    log.info(
        "invitation %s created for %s to join %s as %s; no mail server configured, "
        "the link was shown to the inviting admin",
        invitation.id,
        email,
        org.slug,
        role.value,
    )
    return invitation, token


def list_invitations(actor: Actor, organization_id: uuid.UUID) -> list[InvitationRow]:
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.MANAGE_MEMBERS)
        rows = s.exec(
            select(Invitation, User.email)
            .join(User, User.id == Invitation.invited_by_id, isouter=True)
            .where(
                Invitation.organization_id == organization_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at.desc())
        ).all()
        return [
            InvitationRow(str(inv.id), inv.email, str(inv.role), inv.expires_at, inviter or "") for inv, inviter in rows
        ]


def revoke_invitation(actor: Actor, organization_id: uuid.UUID, invitation_id: uuid.UUID | str) -> None:
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.MANAGE_MEMBERS)
        invitation = s.get(Invitation, uuid_or_not_found(invitation_id, "Invitation not found."))
        if invitation is None or invitation.organization_id != organization_id:
            raise NotFound("Invitation not found.")
        if invitation.accepted_at is None and invitation.revoked_at is None:
            invitation.revoked_at = utcnow()
            s.add(invitation)
            activity.record(
                s,
                actor,
                "member.invitation_revoked",
                organization_id=organization_id,
                target=invitation.email,
            )


def preview_invitation(token: str) -> InvitationPreview:
    """What the accept page shows before the invitee signs in; the token is the credential."""
    with session_scope() as s:
        invitation, org = _usable_invitation(s, token)
        return InvitationPreview(org.name, invitation.email, str(invitation.role), invitation.expires_at)


def accept_invitation(actor: Actor, token: str) -> Organization:
    """Join the organization as the invited role; the signed-in account must own the invited email."""
    if actor.user_id is None:
        raise AuthenticationRequired("Sign in (or create an account) to accept the invitation.")
    with session_scope() as s:
        invitation, org = _usable_invitation(s, token, lock=True)
        user = s.get(User, actor.user_id)
        if user is None:
            raise AuthenticationRequired("Please sign in to continue.")
        if normalize_email(user.email) != invitation.email:
            raise PermissionDenied(
                f"This invitation was sent to {invitation.email}; sign in with that email to accept it."
            )
        if _membership(s, org.id, user.id) is not None:
            raise Conflict(f"You are already a member of {org.name}.")
        invitation.accepted_at = utcnow()
        s.add(invitation)
        s.add(Membership(user_id=user.id, organization_id=org.id, role=invitation.role))
        activity.record(
            s,
            actor,
            "member.joined",
            organization_id=org.id,
            target=user.email,
            meta={"role": str(invitation.role), "via": "invitation"},
        )
        return org


# --- activity -----------------------------------------------------------------------------


def list_activity(actor: Actor, organization_id: uuid.UUID, page: int = 1, page_size: int = 50) -> ActivityPage:
    """The organization's trail, plus account events (`user.*`) of its current members, newest first.

    Account events belong to no organization, so a member's are shown only from the moment
    they joined this one: their sign-ins before that (or while working elsewhere before
    joining) are none of this organization's business.
    """
    page = min(max(1, int(page)), MAX_PAGE)
    page_size = min(max(1, int(page_size)), 200)
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.VIEW_ACTIVITY)
        while_member = exists().where(
            Membership.organization_id == organization_id,
            Membership.user_id == ActivityLog.actor_id,
            Membership.created_at <= ActivityLog.created_at,
        )
        where = or_(
            ActivityLog.organization_id == organization_id,
            and_(ActivityLog.organization_id.is_(None), ActivityLog.action.startswith("user."), while_member),
        )
        total = s.exec(select(func.count()).select_from(ActivityLog).where(where)).one()
        entries = s.exec(
            select(ActivityLog, User.name)
            .outerjoin(User, User.id == ActivityLog.actor_id)
            .where(where)
            .order_by(ActivityLog.created_at.desc(), ActivityLog.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).all()
        rows = [
            ActivityRow(e.id or 0, e.created_at, e.actor_label or "system", e.action, e.target, dict(e.meta),
                        (name or "").strip() or e.actor_label or "system")
            for e, name in entries
        ]
        return ActivityPage(rows=rows, total=int(total), page=page, page_size=page_size)


# --- helpers ------------------------------------------------------------------------------


def _owner_for_create(s: Session, actor: Actor, owner_email: str | None) -> User:
    if actor.is_system:
        if not owner_email:
            raise ValidationError("Name the owner's email.", field="owner")
        email = normalize_email(owner_email)
        owner = s.exec(select(User).where(func.lower(User.email) == email)).first()
        if owner is None:
            raise NotFound(f"No user with email {email}; create the account first.", field="owner")
        return owner
    if actor.user_id is None:
        raise AuthenticationRequired("Please sign in to continue.")
    owner = s.get(User, actor.user_id)
    if owner is None or not owner.is_active:
        raise AuthenticationRequired("Please sign in to continue.")
    if owner_email and normalize_email(owner_email) != owner.email:
        raise ValidationError("You can only create organizations that you own.", field="owner")
    return owner


def _derived_slug(name: str) -> str:
    base = slugify(name)
    if len(base) < SLUG_MIN or base in RESERVED_SLUGS:
        base = (base + "-org").strip("-") if base else "org"
        if len(base) < SLUG_MIN:
            base = f"org-{base}"
    try:
        return validate_slug(base)
    except ValidationError:
        raise ValidationError("Choose a URL slug for this organization.", field="slug") from None


def _free_slug(s: Session, base: str) -> str:
    if not _slug_taken(s, base):
        return base
    for n in range(2, 1000):
        suffix = f"-{n}"
        candidate = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
        if not _slug_taken(s, candidate):
            return candidate
    raise Conflict("Could not find a free slug; choose one explicitly.", field="slug")


def _slug_taken(s: Session, slug: str) -> bool:
    return s.exec(select(Organization.id).where(Organization.slug == slug)).first() is not None


def _flush_unique(s: Session, slug: str) -> None:
    """Two concurrent creations can pass the pre-check; the unique index decides, clearly."""
    try:
        s.flush()
    except IntegrityError:
        raise Conflict(f"The slug '{slug}' is already taken.", field="slug") from None


def _membership(s: Session, organization_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
    return s.exec(
        select(Membership).where(Membership.organization_id == organization_id, Membership.user_id == user_id)
    ).first()


def _member(s: Session, organization_id: uuid.UUID, user_id: uuid.UUID | str) -> tuple[Membership, User]:
    uid = uuid_or_not_found(user_id, "Member not found.")
    row = s.exec(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == organization_id, Membership.user_id == uid)
        .with_for_update(of=Membership)
    ).first()
    if row is None:
        raise NotFound("Member not found.")
    return row[0], row[1]


def _ensure_other_admin(s: Session, organization_id: uuid.UUID, user_id: uuid.UUID, verb: str) -> None:
    """Refuse to leave an organization without an admin. Locks the admin rows so two
    concurrent demotions cannot both see "another admin remains"."""
    admins = s.exec(
        select(Membership.user_id)
        .where(Membership.organization_id == organization_id, Membership.role == Role.ADMIN)
        .with_for_update()
    ).all()
    if not any(a != user_id for a in admins):
        messages = {
            "demote": "This is the last admin; promote another member to admin first.",
            "remove": "The last admin cannot be removed; promote another member to admin first.",
            "leave": "You are the last admin; promote another member to admin before leaving.",
        }
        raise Conflict(messages[verb], field="role")


def _pending_invitations(s: Session, organization_id: uuid.UUID, now: datetime, *, email: str) -> list[Invitation]:
    return list(
        s.exec(
            select(Invitation).where(
                Invitation.organization_id == organization_id,
                Invitation.email == email,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
        ).all()
    )


def _usable_invitation(s: Session, token: str, *, lock: bool = False) -> tuple[Invitation, Organization]:
    if not token or len(token) > 200:
        raise NotFound(INVALID_INVITATION)
    stmt = select(Invitation).where(Invitation.token_hash == hash_token(token))
    invitation = s.exec(stmt.with_for_update() if lock else stmt).first()
    if invitation is None or invitation.revoked_at is not None:
        raise NotFound(INVALID_INVITATION)
    if invitation.accepted_at is not None:
        raise Conflict("This invitation has already been used.")
    if invitation.expires_at <= utcnow():
        raise ValidationError("This invitation has expired; ask an admin for a new one.")
    org = s.get(Organization, invitation.organization_id)
    if org is None:
        raise NotFound(INVALID_INVITATION)
    return invitation, org
