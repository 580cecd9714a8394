"""Which people must sign in through single sign-on: the one rule both sign-in paths read.

A member of an organization that requires SSO may not sign in with a password while the
installation has SSO configured (without it the requirement would lock everyone out, so it
rests until SSO is configured again). API tokens never pass through here.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from compliance_app.models import Membership, Organization
from compliance_app.settings import get_settings


def sso_configured() -> bool:
    """True when the operator configured an issuer and a client id."""
    settings = get_settings()
    return bool(settings.oidc_issuer.strip() and settings.oidc_client_id.strip())


def sso_required_by(s: Session, user_id: uuid.UUID) -> list[str]:
    """Names of the user's organizations that require single sign-on (empty while SSO is not configured)."""
    if not sso_configured():
        return []
    return list(
        s.exec(
            select(Organization.name)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == user_id, Organization.require_sso.is_(True))
            .order_by(Organization.name)
        ).all()
    )


def password_refusal(names: list[str]) -> str:
    """The message a password sign-in of such a member gets: who requires it and what to use instead."""
    who = names[0] if len(names) == 1 else f"{names[0]} (and {len(names) - 1} more)"
    return f"{who} requires single sign-on: use “Sign in with {get_settings().oidc_name}” instead of a password."
