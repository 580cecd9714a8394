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
from sqlmodel import func, select

from compliance_app.db import session_scope
from compliance_app.models import Membership, Organization, User
from compliance_app.services.authz import Actor, Permission, authorize
from compliance_app.services.errors import AuthenticationRequired

#: Where someone without any organization goes: the page that lists and creates them.
NO_ORGANIZATION_PATH = "/orgs"


def remember_organization(actor: Actor, organization_id: uuid.UUID) -> None:
    """Record that the actor opened this organization's pages (a member's own preference)."""
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.READ)
        if actor.user_id is None:  # the system actor has no preference to keep
            return
        s.execute(
            sa.update(User)
            .where(User.id == actor.user_id, User.last_organization_id.is_distinct_from(organization_id))
            .values(last_organization_id=organization_id)
        )


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
