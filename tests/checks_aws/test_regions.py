"""Which regions a scan covers: every enabled region by default, skipped regions said once."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest

from compliance_app.providers.aws import COLLECTORS, AwsSession, test_connection
from compliance_app.services import audit_queue, engine, integrations, scans
from compliance_app.services.authz import Actor
from tests.checks_aws.helpers import CREDS, ERROR, FAIL, REGION, RaisingClient, client_error, run
from tests.factories import actor_for, make_org, make_user
from tests.scans.helpers import WORKER, evidence_of, load_audit

OTHER = "eu-west-1"
SCP_DENY = ("User: arn:aws:iam::123456789012:user/audit is not authorized to perform: ec2:DescribeAvailabilityZones "
            "with an explicit deny in a service control policy")


def _deny_in(monkeypatch: pytest.MonkeyPatch, exc: Exception, regions: set[str] | None, service: str = "ec2") -> None:
    """Every `service` client in `regions` (None = all) raises `exc`, as an SCP region deny would."""
    original = AwsSession._client_from

    def client_from(self: AwsSession, session: Any, svc: str, region: str) -> Any:
        if svc == service and (regions is None or region in regions):
            return RaisingClient(exc)
        return original(self, session, svc, region)

    monkeypatch.setattr(AwsSession, "_client_from", client_from)


def test_no_regions_means_every_enabled_region(aws: None) -> None:
    session = AwsSession({}, CREDS)
    assert len(session.regions) == 24 and {REGION, OTHER, "ap-southeast-2"} <= set(session.regions)
    assert "ap-east-1" not in session.regions  # moto marks it not-opted-in
    assert session.coverage() == {"provider": "aws", "account": "123456789012", "scanned": session.regions,
                                  "skipped": {}, "notes": []}


def test_guardduty_in_one_region_fails_every_other_enabled_region(aws: None) -> None:
    boto3.client("guardduty", region_name=REGION).create_detector(Enable=True)
    findings = run("guardduty_is_enabled", AwsSession({}, CREDS))
    assert len(findings) == 24
    assert [f.region for f in findings if f.status != FAIL] == [REGION]


def test_regions_restrict_and_a_not_opted_in_one_is_skipped(aws: None) -> None:
    session = AwsSession({"regions": [OTHER, "ap-east-1"]}, CREDS)
    assert session.regions == [OTHER]
    assert "not opted in" in session.coverage()["skipped"]["ap-east-1"]
    assert session.home_region == OTHER
    result = test_connection({"regions": [OTHER, "ap-east-1"]}, CREDS)
    assert not result.ok and "ap-east-1 is not enabled" in result.message


def test_region_denied_by_scp_is_skipped_once_not_an_error_per_check(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _deny_in(monkeypatch, client_error("UnauthorizedOperation", "DescribeAvailabilityZones", SCP_DENY), {OTHER})
    session = AwsSession({"regions": [REGION, OTHER]}, CREDS)
    assert session.regions == [REGION]
    skipped = session.coverage()["skipped"]
    assert list(skipped) == [OTHER] and "organization policy (SCP)" in skipped[OTHER]
    for key in ("guardduty_is_enabled", "rds_instance_no_public_access", "ec2_ebs_default_encryption"):
        assert all(f.region == REGION and f.status != ERROR for f in run(key, session)), key


def test_auth_failure_in_a_region_is_not_called_disabled(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _deny_in(monkeypatch, client_error("AuthFailure", "DescribeAvailabilityZones"), {OTHER})
    reason = AwsSession({"regions": [REGION, OTHER]}, CREDS).coverage()["skipped"][OTHER]
    assert "AuthFailure" in reason and "not enabled" not in reason and "inactive" in reason


def test_denied_everywhere_is_a_permission_problem_not_a_skip(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """No region answered: the identity lacks EC2 read access; the checks say so as ERROR."""
    _deny_in(monkeypatch, client_error("UnauthorizedOperation", "DescribeVolumes"), None)
    session = AwsSession({"regions": [REGION, OTHER]}, CREDS)
    assert session.regions == [REGION, OTHER]
    findings = run("ec2_ebs_volume_encryption", session)
    assert [(f.region, f.status) for f in findings] == [(REGION, ERROR), (OTHER, ERROR)]


def test_region_list_denied_scans_the_home_region_and_says_so(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    original = AwsSession._client_from

    def client_from(self: AwsSession, session: Any, svc: str, region: str) -> Any:
        client = original(self, session, svc, region)
        if svc == "ec2":
            client.describe_regions = RaisingClient(client_error("UnauthorizedOperation", "DescribeRegions")).x
        return client

    monkeypatch.setattr(AwsSession, "_client_from", client_from)
    coverage = AwsSession({}, CREDS).coverage()
    assert coverage["scanned"] == [REGION]
    assert "ec2:DescribeRegions" in coverage["notes"][0] and "only us-east-1" in coverage["notes"][0]


def test_regions_are_read_concurrently(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(session: AwsSession, region: str) -> list[str]:
        time.sleep(0.3)
        return [region]

    monkeypatch.setitem(COLLECTORS, "test.slow", slow)
    session = AwsSession({}, CREDS)
    regions = session.regions
    started = time.monotonic()
    assert session.collect_regions("test.slow") == {r: [r] for r in regions}
    assert time.monotonic() - started < 0.3 * len(regions) / 3  # 24 regions, 8 at a time: ~1 s, not 7


def test_audit_records_the_skipped_region_and_has_no_evidence_from_it(
    db: str, aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the engine: Audit.scope lists scanned and skipped regions; no check errs per skipped region."""
    _deny_in(monkeypatch, client_error("UnauthorizedOperation", "DescribeAvailabilityZones", SCP_DENY), {OTHER})
    owner = make_user()
    org = make_org(owner)
    row = integrations.add_aws_integration(actor_for(owner), org.id, "AKIAREGIONSKIPPED001",
                                           CREDS["secret_access_key"], regions=f"{REGION},{OTHER}")
    audit = scans.request_scan(Actor.system("test"), org.id)
    assert audit_queue.claim_audit(audit.id, WORKER)
    engine.run_audit(audit.id, WORKER)
    audit = load_audit(audit.id)
    coverage = audit.scope[str(row.id)]
    assert coverage["scanned"] == [REGION] and list(coverage["skipped"]) == [OTHER]
    rows = evidence_of(audit.id)
    assert rows and not [(key, e.message) for key, _, e in rows if e.region == OTHER or OTHER in e.message]
