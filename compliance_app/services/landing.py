"""Where a signed-in person lands: the dashboard of the organization they used last.

Signing in used to land on a list of organizations, one click away from anything useful.
The organization pages record which organization the person opened (User.last_organization
_id, kept across devices because it lives in the database); "/" sends them back there, or
to their first organization, or to creating one when they have none.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import sqlalchemy as sa
from sqlmodel import Session, func, select

from compliance_app.db import session_scope
from compliance_app.models import Membership, Organization, User
from compliance_app.services.authz import Access, Actor, Permission, authorize, authorize_slug
from compliance_app.services.errors import AuthenticationRequired
from compliance_app.services.organizations import organizations_of

#: Where someone without any organization goes: the page that lists and creates them.
NO_ORGANIZATION_PATH = "/orgs"


def remember_organization(actor: Actor, organization_id: uuid.UUID) -> None:
    """Record that the actor opened this organization's pages (a member's own preference)."""
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.READ)
        if actor.user_id is None:  # the system actor has no preference to keep
            return
        _remember(s, actor.user_id, organization_id)


#: Built once, bound at execution (every organization page load runs it).
_REMEMBER = (
    sa.update(User)
    .where(User.id == sa.bindparam("user_id"), User.last_organization_id.is_distinct_from(sa.bindparam("org_id")))
    .values(last_organization_id=sa.bindparam("org_id"))
)


def _remember(s: Session, user_id: uuid.UUID, organization_id: uuid.UUID) -> None:
    s.execute(_REMEMBER, {"user_id": user_id, "org_id": organization_id})


def enter_organization(actor: Actor, slug: str) -> tuple[Access, list[dict[str, str]]]:
    """What every organization page reads when it opens, in one transaction (one pool checkout,
    one commit, instead of three): the organization behind the URL's slug and the caller's role
    (NotFound for outsiders, as organizations.get_organization_for), the caller's organizations
    for the switcher (organizations.list_my_organizations), and this one remembered as where
    signing in lands (remember_organization)."""
    if actor.user_id is None:
        raise AuthenticationRequired("Please sign in to continue.")
    with session_scope() as s:
        access = authorize_slug(s, actor, (slug or "").strip().lower(), Permission.READ)
        mine = organizations_of(s, actor.user_id)
        _remember(s, actor.user_id, access.organization.id)
        return access, mine


def landing_path(actor: Actor) -> str:
    """'/o/{slug}' of the last organization used (if still a member), else of the first by
    name, else NO_ORGANIZATION_PATH."""
    if actor.user_id is None:
        raise AuthenticationRequired("Please sign in to continue.")
    with session_scope() as s:
        last = s.exec(select(User.last_organization_id).where(User.id == actor.user_id)).first()
        rows = s.exec(
            select(Organization.id, Organization.slug)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == actor.user_id)
            .order_by(func.lower(Organization.name))
        ).all()
    if not rows:
        return NO_ORGANIZATION_PATH
    slug = next((slug for org_id, slug in rows if org_id == last), rows[0][1])
    return "/o/" + quote(slug, safe="")
