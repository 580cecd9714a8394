"""Plan limits: Free blocks new use beyond its limits, Pro and self-hosted do not."""

from __future__ import annotations

from datetime import timedelta

import pytest

from compliance_app.db import session_scope
from compliance_app.models import (
    Audit,
    AuditSnapshot,
    AuditStatus,
    Integration,
    Organization,
    Provider,
    PublicLink,
    ScanFrequency,
    SubscriptionStatus,
)
from compliance_app.models.types import utcnow
from compliance_app.services import plans, shares
from compliance_app.services.errors import LimitExceeded
from tests.factories import actor_for, make_org, make_user


def org_with(status: SubscriptionStatus = SubscriptionStatus.FREE, **integrations: int) -> Organization:
    org = make_org()
    with session_scope() as s:
        row = s.get(Organization, org.id)
        row.subscription_status = status
        s.add(row)
        for provider, n in integrations.items():
            for i in range(n):
                s.add(Integration(organization_id=org.id, provider=Provider(provider), name=f"{provider}-{i}"))
    org.subscription_status = status
    return org


def check_integration(org: Organization, provider: Provider) -> None:
    with session_scope() as s:
        plans.check_integration_limit(s, org, provider)


def test_second_github_integration_refused_on_free(billing_on, db):
    org = org_with(github=1)
    with pytest.raises(LimitExceeded) as exc:
        check_integration(org, Provider.GITHUB)
    assert str(exc.value) == "The Free plan allows 1 GitHub integration; upgrade to add more."
    check_integration(org, Provider.AWS)  # the AWS allowance is separate


def test_second_aws_integration_refused_on_free(billing_on, db):
    org = org_with(aws=1)
    with pytest.raises(LimitExceeded, match="Free plan allows 1 AWS integration"):
        check_integration(org, Provider.AWS)


@pytest.mark.parametrize("status", [SubscriptionStatus.FREE, SubscriptionStatus.CANCELED])
def test_first_integration_allowed_on_free_and_canceled(billing_on, db, status):
    check_integration(org_with(status), Provider.GITHUB)


@pytest.mark.parametrize("status", [SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE])
def test_more_integrations_allowed_when_paid(billing_on, db, status):
    org = org_with(status, github=3, aws=3)
    check_integration(org, Provider.GITHUB)
    check_integration(org, Provider.AWS)


def test_canceled_organization_keeps_data_but_cannot_add(billing_on, db):
    org = org_with(SubscriptionStatus.CANCELED, github=3)
    with pytest.raises(LimitExceeded, match="Free plan"):
        check_integration(org, Provider.GITHUB)
    with session_scope() as s:
        assert plans.count_integrations(s, org, Provider.GITHUB) == 3


def test_billing_off_means_no_limits(billing_off, db):
    org = org_with(github=5, aws=5)
    check_integration(org, Provider.GITHUB)
    check_integration(org, Provider.AWS)
    plans.check_scan_frequency(org, ScanFrequency.HOURLY)
    summary = plans.plan_summary(org)
    assert (summary.key, summary.billing_enabled, summary.github_integrations) == ("self_hosted", False, None)


def test_hourly_schedule_refused_on_free(billing_on, db):
    org = org_with()
    with pytest.raises(LimitExceeded) as exc:
        plans.check_scan_frequency(org, ScanFrequency.HOURLY)
    assert str(exc.value) == "The Free plan allows scheduled scans at most daily; upgrade to scan hourly."
    for allowed in ("daily", "weekly", "off"):
        plans.check_scan_frequency(org, allowed)
    plans.check_scan_frequency(org_with(SubscriptionStatus.ACTIVE), ScanFrequency.HOURLY)


def test_downgraded_hourly_schedule_runs_daily(billing_on, db):
    org = org_with(SubscriptionStatus.CANCELED)
    org.scan_frequency = ScanFrequency.HOURLY
    assert plans.effective_scan_frequency(org) == ScanFrequency.DAILY
    org.subscription_status = SubscriptionStatus.ACTIVE
    assert plans.effective_scan_frequency(org) == ScanFrequency.HOURLY


def make_snapshot(org: Organization) -> int:
    with session_scope() as s:
        audit = Audit(organization_id=org.id, status=AuditStatus.COMPLETED)
        s.add(audit)
        s.flush()
        snapshot = AuditSnapshot(audit_id=audit.id, organization_id=org.id, data={}, checksum="0" * 64)
        s.add(snapshot)
        s.flush()
        return snapshot.id


def test_fourth_share_link_refused_on_free(billing_on, db):
    owner = make_user()
    org = make_org(owner)
    snapshot_id = make_snapshot(org)
    actor = actor_for(owner)
    for _ in range(3):
        shares.create_link(actor, snapshot_id)
    with pytest.raises(LimitExceeded) as exc:
        shares.create_link(actor, snapshot_id)
    assert "The Free plan allows 3 active public links" in str(exc.value)


def test_revoked_and_expired_links_do_not_count(billing_on, db):
    org = org_with()
    snapshot_id = make_snapshot(org)
    now = utcnow()
    with session_scope() as s:
        for i, (expires, revoked) in enumerate(
            [
                (now + timedelta(days=1), None),
                (now + timedelta(days=1), None),
                (now - timedelta(days=1), None),
                (now + timedelta(days=1), now),
            ]
        ):
            s.add(
                PublicLink(
                    snapshot_id=snapshot_id,
                    organization_id=org.id,
                    token_hash=f"{i:064d}",
                    expires_at=expires,
                    revoked_at=revoked,
                )
            )
    with session_scope() as s:
        plans.check_share_link_limit(s, org)  # 2 active of 3
        s.add(
            PublicLink(
                snapshot_id=snapshot_id,
                organization_id=org.id,
                token_hash="f" * 64,
                expires_at=now + timedelta(days=1),
            )
        )
    with session_scope() as s, pytest.raises(LimitExceeded):
        plans.check_share_link_limit(s, org)
    org.subscription_status = SubscriptionStatus.ACTIVE
    with session_scope() as s:
        plans.check_share_link_limit(s, org)
