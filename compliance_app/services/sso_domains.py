"""An organization's single sign-on settings: email-domain rules and "members must use SSO".

A domain rule makes people who sign in with SSO and a VERIFIED email at that domain members
with the rule's role on their first single sign-on (services/sso.py applies them). An admin
may claim only their own email's domain: otherwise any admin could collect every sign-in of
gmail.com into their organization. The operator (CLI, the system actor) may add any domain.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from compliance_app.db import session_scope
from compliance_app.models import SsoDomainRule, User
from compliance_app.services import activity
from compliance_app.services.authz import Actor, Permission, authorize, uuid_or_not_found
from compliance_app.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from compliance_app.services.organizations import validate_role
from compliance_app.services.sso_policy import sso_configured
from compliance_app.settings import get_settings

_DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$")
#: Rules per organization: a handful of company domains, not a list to fill.
MAX_RULES = 50


@dataclass(frozen=True)
class DomainRuleRow:
    id: uuid.UUID
    domain: str
    role: str


@dataclass(frozen=True)
class SsoSettings:
    """What the organization's settings page shows."""

    configured: bool
    provider: str
    require_sso: bool
    rules: list[DomainRuleRow]


def validate_domain(domain: str) -> str:
    """'Acme.com' or '@acme.com' -> 'acme.com'; anything else that is not a host name is refused."""
    value = (domain or "").strip().lower().removeprefix("@")
    if not value:
        raise ValidationError("Enter an email domain, e.g. acme.com.", field="domain")
    if not _DOMAIN_RE.match(value):
        raise ValidationError(f"'{value[:80]}' is not an email domain (e.g. acme.com).", field="domain")
    return value


def get_sso_settings(actor: Actor, organization_id: uuid.UUID) -> SsoSettings:
    with session_scope() as s:
        access = authorize(s, actor, organization_id, Permission.MANAGE_ORGANIZATION)
        return SsoSettings(
            configured=sso_configured(), provider=get_settings().oidc_name,
            require_sso=access.organization.require_sso, rules=_rules(s, organization_id),
        )  # fmt: skip


def add_domain_rule(actor: Actor, organization_id: uuid.UUID, domain: str, role: str) -> DomainRuleRow:
    domain, role_value = validate_domain(domain), validate_role(role)
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.MANAGE_ORGANIZATION)
        if not actor.is_system and actor.token is None:
            user = s.get(User, actor.user_id)
            if user is None or user.email.rsplit("@", 1)[1].lower() != domain:
                raise PermissionDenied(
                    f"You can add only your own email's domain; ask the server's operator to add {domain}.",
                    field="domain",
                )
        if len(_rules(s, organization_id)) >= MAX_RULES:
            raise ValidationError(f"An organization can have at most {MAX_RULES} domain rules.", field="domain")
        rule = SsoDomainRule(organization_id=organization_id, domain=domain, role=role_value)
        try:
            with s.begin_nested():
                s.add(rule)
                s.flush()
        except IntegrityError:
            raise Conflict(f"{domain} already has a rule here; remove it first to change its role.",
                           field="domain") from None  # fmt: skip
        activity.record(s, actor, "sso.domain_rule_added", organization_id=organization_id, target=domain,
                        meta={"role": str(role_value)})  # fmt: skip
        return DomainRuleRow(id=rule.id, domain=domain, role=str(role_value))


def remove_domain_rule(actor: Actor, organization_id: uuid.UUID, rule_id: uuid.UUID | str) -> None:
    key = uuid_or_not_found(rule_id, "Domain rule not found.")
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.MANAGE_ORGANIZATION)
        rule = s.get(SsoDomainRule, key)
        if rule is None or rule.organization_id != organization_id:
            raise NotFound("Domain rule not found.")
        s.delete(rule)
        activity.record(s, actor, "sso.domain_rule_removed", organization_id=organization_id, target=rule.domain)


def set_require_sso(actor: Actor, organization_id: uuid.UUID, required: bool) -> None:
    """Turning it on needs SSO configured, and a person doing it must have signed in with SSO
    before: they would otherwise lock themselves out of their own organization."""
    with session_scope() as s:
        access = authorize(s, actor, organization_id, Permission.MANAGE_ORGANIZATION)
        if required and not sso_configured():
            raise Conflict("Single sign-on is not configured on this server, so it cannot be required.")
        if required and actor.user_id is not None:
            user = s.get(User, actor.user_id)
            if user is None or user.sso_subject is None:
                raise Conflict(f"Sign in once with {get_settings().oidc_name} before requiring it, "
                               "so you cannot lock yourself out.")  # fmt: skip
        if access.organization.require_sso == bool(required):
            return
        access.organization.require_sso = bool(required)
        activity.record(s, actor, "sso.required" if required else "sso.not_required", organization_id=organization_id)


def _rules(s: Session, organization_id: uuid.UUID) -> list[DomainRuleRow]:
    rows = s.exec(
        select(SsoDomainRule).where(SsoDomainRule.organization_id == organization_id).order_by(SsoDomainRule.domain)
    ).all()
    return [DomainRuleRow(id=r.id, domain=r.domain, role=str(r.role)) for r in rows]
