"""What each subscription plan allows, and the checks other services call before new use.

Status → plan: `free` and `canceled` get the Free plan; `active` and `past_due` get the Pro
plan (past_due is Stripe's dunning period: we keep paid features while Stripe retries the
card, and the status becomes `canceled` when it gives up). When billing is not configured
(no STRIPE_SECRET_KEY / STRIPE_WEBHOOK_SECRET) the installation is self-hosted and every
organization has every feature.

Limits only block *new* use: a downgraded organization keeps its integrations, links and
data; it just cannot add more beyond the Free limits. The check functions take the
caller's session so the check and the insert share one transaction; they lock the
organization row so two concurrent additions cannot both slip under a limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from compliance_app.models import (
    Integration,
    Organization,
    Provider,
    PublicLink,
    ScanFrequency,
    SubscriptionStatus,
)
from compliance_app.services.errors import LimitExceeded
from compliance_app.settings import get_settings
from compliance_app.vocabulary import PROVIDER_LABELS


@dataclass(frozen=True)
class Plan:
    """Limits of one plan; None means unlimited."""

    key: str
    name: str
    integrations_per_provider: dict[Provider, int | None] = field(default_factory=dict)
    active_public_links: int | None = None
    scan_frequencies: frozenset[ScanFrequency] = frozenset(ScanFrequency)

    def integration_limit(self, provider: Provider) -> int | None:
        return self.integrations_per_provider.get(provider)


FREE = Plan(
    key="free",
    name="Free",
    integrations_per_provider={Provider.GITHUB: 1, Provider.AWS: 1},
    active_public_links=3,
    scan_frequencies=frozenset({ScanFrequency.OFF, ScanFrequency.DAILY, ScanFrequency.WEEKLY}),
)
PRO = Plan(key="pro", name="Pro")
SELF_HOSTED = Plan(key="self_hosted", name="Self-hosted")

PAID_STATUSES = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE})

#: Most frequent first, so a schedule the plan no longer allows falls back to the next one.
_FREQUENCY_ORDER = (ScanFrequency.HOURLY, ScanFrequency.DAILY, ScanFrequency.WEEKLY, ScanFrequency.OFF)


def billing_enabled() -> bool:
    """Billing is on only when both Stripe secrets are set; otherwise nothing is limited."""
    settings = get_settings()
    return bool((settings.stripe_secret_key or "").strip() and (settings.stripe_webhook_secret or "").strip())


def plan_for(organization: Organization) -> Plan:
    if not billing_enabled():
        return SELF_HOSTED
    if SubscriptionStatus(organization.subscription_status) in PAID_STATUSES:
        return PRO
    return FREE


def _lock_organization(session: Session, organization: Organization) -> None:
    """Serialize limit checks per organization until the caller's transaction ends."""
    session.exec(select(Organization.id).where(Organization.id == organization.id).with_for_update()).first()


def count_integrations(session: Session, organization: Organization, provider: Provider) -> int:
    return session.exec(
        select(sa.func.count())
        .select_from(Integration)
        .where(Integration.organization_id == organization.id, Integration.provider == provider)
    ).one()


def count_active_links(session: Session, organization: Organization) -> int:
    """Links that still work: neither revoked nor expired."""
    return session.exec(
        select(sa.func.count())
        .select_from(PublicLink)
        .where(
            PublicLink.organization_id == organization.id,
            PublicLink.revoked_at.is_(None),
            PublicLink.expires_at > datetime.now(UTC),
        )
    ).one()


def check_integration_limit(session: Session, organization: Organization, provider: Provider | str) -> None:
    """Raise LimitExceeded if the organization may not connect one more `provider` integration."""
    provider = Provider(provider)
    plan = plan_for(organization)
    limit = plan.integration_limit(provider)
    if limit is None:
        return
    _lock_organization(session, organization)
    if count_integrations(session, organization, provider) >= limit:
        label = PROVIDER_LABELS[provider]
        noun = "integration" if limit == 1 else "integrations"
        raise LimitExceeded(f"The {plan.name} plan allows {limit} {label} {noun}; upgrade to add more.")


def check_share_link_limit(session: Session, organization: Organization) -> None:
    """Raise LimitExceeded if the organization may not create one more public link."""
    plan = plan_for(organization)
    limit = plan.active_public_links
    if limit is None:
        return
    _lock_organization(session, organization)
    if count_active_links(session, organization) >= limit:
        raise LimitExceeded(
            f"The {plan.name} plan allows {limit} active public links; revoke one or upgrade to add more."
        )


def allowed_scan_frequencies(organization: Organization) -> frozenset[ScanFrequency]:
    return plan_for(organization).scan_frequencies


def check_scan_frequency(organization: Organization, frequency: ScanFrequency | str) -> None:
    """Raise LimitExceeded if the plan does not allow scheduling scans this often."""
    frequency = ScanFrequency(frequency)
    plan = plan_for(organization)
    if frequency not in plan.scan_frequencies:
        raise LimitExceeded(
            f"The {plan.name} plan allows scheduled scans at most {_most_frequent(plan).value}; "
            f"upgrade to scan {frequency.value}."
        )


def effective_scan_frequency(organization: Organization) -> ScanFrequency:
    """The schedule the worker should honour: a downgraded hourly schedule runs daily.

    The stored setting is kept (downgrades never destroy data), so re-subscribing restores it.
    """
    stored = ScanFrequency(organization.scan_frequency)
    allowed = allowed_scan_frequencies(organization)
    if stored in allowed:
        return stored
    start = _FREQUENCY_ORDER.index(stored)
    return next(f for f in _FREQUENCY_ORDER[start:] if f in allowed)


def _most_frequent(plan: Plan) -> ScanFrequency:
    return next(f for f in _FREQUENCY_ORDER if f in plan.scan_frequencies)


@dataclass(frozen=True)
class PlanSummary:
    """What the billing page shows about a plan; None limits mean unlimited."""

    key: str
    name: str
    billing_enabled: bool
    subscription_status: str
    github_integrations: int | None
    aws_integrations: int | None
    active_public_links: int | None
    scan_frequencies: list[str]
    hourly_scans: bool


def plan_summary(organization: Organization) -> PlanSummary:
    plan = plan_for(organization)
    return PlanSummary(
        key=plan.key,
        name=plan.name,
        billing_enabled=billing_enabled(),
        subscription_status=SubscriptionStatus(organization.subscription_status).value,
        github_integrations=plan.integration_limit(Provider.GITHUB),
        aws_integrations=plan.integration_limit(Provider.AWS),
        active_public_links=plan.active_public_links,
        scan_frequencies=[f.value for f in _FREQUENCY_ORDER if f in plan.scan_frequencies],
        hourly_scans=ScanFrequency.HOURLY in plan.scan_frequencies,
    )
