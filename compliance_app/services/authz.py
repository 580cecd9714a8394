"""Who may do what: the one place the role matrix lives.

Every service entry point calls `authorize(session, actor, organization_id, permission)`
before touching an organization's data. Non-members get NotFound, so ids leak nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from sqlalchemy import bindparam
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, select

from compliance_app.models import Membership, Organization, Role
from compliance_app.services.errors import AuthenticationRequired, NotFound, PermissionDenied, ValidationError


class Permission(StrEnum):
    READ = "read"
    RUN_SCAN = "run_scan"
    UPLOAD_EVIDENCE = "upload_evidence"
    CREATE_SNAPSHOT = "create_snapshot"
    MANAGE_ORGANIZATION = "manage_organization"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_INTEGRATIONS = "manage_integrations"
    MANAGE_RISK = "manage_risk"
    MANAGE_SNAPSHOTS = "manage_snapshots"
    MANAGE_SHARES = "manage_shares"
    MANAGE_BILLING = "manage_billing"
    VIEW_ACTIVITY = "view_activity"
    TRANSFER_OWNERSHIP = "transfer_ownership"
    MANAGE_TOKENS = "manage_tokens"


#: Held by the organization's owner only (an admin who is not the owner lacks them).
OWNER_ONLY: frozenset[Permission] = frozenset({Permission.TRANSFER_OWNERSHIP})


_VIEWER = {Permission.READ}
_MEMBER = _VIEWER | {Permission.RUN_SCAN, Permission.UPLOAD_EVIDENCE, Permission.CREATE_SNAPSHOT}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset(_VIEWER),
    Role.MEMBER: frozenset(_MEMBER),
    Role.ADMIN: frozenset(Permission) - OWNER_ONLY,
}


@dataclass(frozen=True)
class TokenGrant:
    """An API token as a caller: a non-human member of exactly one organization, with the role
    its scope maps onto (services/api_tokens.py)."""

    token_id: uuid.UUID
    organization_id: uuid.UUID
    role: Role


@dataclass(frozen=True)
class Actor:
    """The caller of a service: a signed-in user, an API token, or the system (worker, operator CLI).

    `request` carries metadata for the activity log (ip, user agent), never secrets.
    """

    user_id: uuid.UUID | None
    label: str = ""
    is_system: bool = False
    request: dict[str, Any] = field(default_factory=dict)
    token: TokenGrant | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user_id=None, label=label, is_system=True)

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(user_id=None, label="anonymous")


@dataclass(frozen=True)
class Access:
    """Result of a successful authorization: the organization and the caller's role."""

    organization: Organization
    role: Role
    is_owner: bool = False

    def can(self, permission: Permission) -> bool:
        if permission in OWNER_ONLY:
            return self.is_owner
        return permission in ROLE_PERMISSIONS[self.role]


def role_allows(role: Role | str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[Role(role)]


#: Built once, bound at execution: every page event authorizes, and building these statements
#: each time cost more CPU than running them. The role is read as a value (no Membership object).
_ORGANIZATION_OF_SLUG = select(Organization).where(Organization.slug == bindparam("slug"))
#: A signed-in user's organization and role (None for outsiders) in one round trip, by id or by slug.
_USERS_MEMBERSHIP = (Membership.organization_id == Organization.id) & (Membership.user_id == bindparam("user_id"))
_ORGANIZATION_AND_ROLE = select(Organization, Membership.role).outerjoin(Membership, _USERS_MEMBERSHIP)
_ORGANIZATION_AND_ROLE_OF_ID = _ORGANIZATION_AND_ROLE.where(Organization.id == bindparam("org_id"))
_ORGANIZATION_AND_ROLE_OF_SLUG = _ORGANIZATION_AND_ROLE.where(Organization.slug == bindparam("slug"))


def authorize(
    session: Session, actor: Actor, organization_id: uuid.UUID, permission: Permission
) -> Access:
    """Load the organization and check the actor's role; raise if not allowed.

    A signed-in user's organization and role are one statement (every page event's service calls
    authorize); the system and tokens need no role, so theirs stays a `get` (no round trip when the
    session already holds the organization)."""
    if actor.is_system or actor.token is not None:
        organization = session.get(Organization, organization_id)
        if not actor.is_system:
            return _authorize_token(organization, actor.token, organization_id, permission)
        if organization is None:
            raise NotFound("Organization not found.")
        return Access(organization=organization, role=Role.ADMIN, is_owner=True)
    if actor.user_id is None:
        raise AuthenticationRequired("Please sign in to continue.")
    row = session.exec(
        _ORGANIZATION_AND_ROLE_OF_ID, params={"org_id": organization_id, "user_id": actor.user_id}
    ).first()
    organization, role = row if row is not None else (None, None)
    return _member_access(organization, role, actor.user_id, permission)


def _member_access(
    organization: Organization | None, role: Role | None, user_id: uuid.UUID, permission: Permission
) -> Access:
    """A user's access from their role in the organization (None: not a member, so NotFound)."""
    if organization is None or role is None:
        raise NotFound("Organization not found.")
    access = Access(organization=organization, role=role, is_owner=organization.owner_id == user_id)
    if not access.can(permission):
        if permission in OWNER_ONLY:
            raise PermissionDenied("Only the organization's owner can do this.")
        action = permission.value.replace("_", " ")
        raise PermissionDenied(f"Your role ({role}) does not allow this action ({action}).")
    return access


def _authorize_token(
    organization: Organization | None, grant: TokenGrant, organization_id: uuid.UUID, permission: Permission
) -> Access:
    """The same rule for a token: its one organization only (others are NotFound), its scope's role."""
    if organization is None or organization_id != grant.organization_id:
        raise NotFound("Organization not found.")
    access = Access(organization=organization, role=grant.role)
    if not access.can(permission):
        action = permission.value.replace("_", " ")
        raise PermissionDenied(f"This token's scope does not allow this action ({action}).")
    return access


def storable_text(text: str) -> bool:
    """False for text PostgreSQL cannot hold (NUL, lone surrogates that do not encode as UTF-8): no row has
    it, and a query naming it fails instead of finding nothing."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def authorize_slug(session: Session, actor: Actor, slug: str, permission: Permission) -> Access:
    """Same as `authorize`, for callers that know the organization by its URL slug."""
    if actor.user_id is not None and not actor.is_system and actor.token is None:
        row = (
            session.exec(_ORGANIZATION_AND_ROLE_OF_SLUG, params={"slug": slug, "user_id": actor.user_id}).first()
            if storable_text(slug)
            else None
        )
        organization, role = row if row is not None else (None, None)
        return _member_access(organization, role, actor.user_id, permission)
    organization = (
        session.exec(_ORGANIZATION_OF_SLUG, params={"slug": slug}).first() if storable_text(slug) else None
    )
    if organization is None:
        if actor.user_id is None and not actor.is_system and actor.token is None:
            raise AuthenticationRequired("Please sign in to continue.")
        raise NotFound("Organization not found.")
    return authorize(session, actor, organization.id, permission)


class _TenantRow(Protocol):
    organization_id: uuid.UUID


R = TypeVar("R", bound=_TenantRow)


def parse_uuid(value: uuid.UUID | str, field: str, what: str) -> uuid.UUID:
    """An id typed by a person (CLI, form): a malformed one is their mistake, said as such."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise ValidationError(f"'{value}' is not {what} id.", field=field) from None


def uuid_or_not_found(value: uuid.UUID | str, not_found: str) -> uuid.UUID:
    """Ids that arrive from URLs and pages: a malformed one is simply not found."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound(not_found) from None


#: Integer primary keys are PostgreSQL `integer`s (serial): a number beyond names no row.
ROW_ID_MAX = 2**31 - 1


def int_or_not_found(value: int | str, not_found: str) -> int:
    """Integer ids that arrive from URLs and pages: anything but 1..ROW_ID_MAX in ASCII digits is not found."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise NotFound(not_found)
    text = str(value)
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= ROW_ID_MAX:
        raise NotFound(not_found)
    return int(text)


_ROW_ORGANIZATION_AND_ROLE: dict[type, Any] = {}


def _row_organization_and_role(model: type) -> Any:
    """A tenant row by its primary key, with its organization and the user's role there (None for
    outsiders): a signed-in user's row, authorized in one round trip instead of three. Built once
    per model, like the statements above."""
    statement = _ROW_ORGANIZATION_AND_ROLE.get(model)
    if statement is None:
        (key_column,) = sa_inspect(model).primary_key
        statement = (
            select(model, Organization, Membership.role)
            .join(Organization, Organization.id == model.organization_id)
            .outerjoin(Membership, _USERS_MEMBERSHIP)
            .where(key_column == bindparam("key"))
        )
        _ROW_ORGANIZATION_AND_ROLE[model] = statement
    return statement


def authorize_row(
    session: Session, actor: Actor, model: type[R], key: Any, permission: Permission, not_found: str,
    options: Sequence[Any] = (),
) -> tuple[R, Access]:
    """Load a row that belongs to one organization and authorize on that organization.

    A missing row and another tenant's raise the same NotFound(not_found), so ids of other
    organizations cannot be probed. Integer keys outside the column's range are missing rows.
    `options` are loader options (e.g. defer a large column the caller does not need).
    """
    if isinstance(key, int) and not 0 < key <= ROW_ID_MAX:
        raise NotFound(not_found)
    if actor.user_id is not None and not actor.is_system and actor.token is None:
        statement = _row_organization_and_role(model)
        found = session.exec(
            statement.options(*options) if options else statement, params={"key": key, "user_id": actor.user_id}
        ).first()
        if found is None:  # no such row: its organization is never read, as for another tenant's
            raise NotFound(not_found)
        row, organization, role = found
        try:
            return row, _member_access(organization, role, actor.user_id, permission)
        except NotFound:
            raise NotFound(not_found) from None
    row = session.get(model, key, options=options)
    if row is None:
        raise NotFound(not_found)
    try:
        access = authorize(session, actor, row.organization_id, permission)
    except NotFound:
        raise NotFound(not_found) from None
    return row, access
