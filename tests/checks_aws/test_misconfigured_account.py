"""A badly configured moto account, scanned as a new user would.

An AWS integration is added through the service without regions, the scan runs through the
engine with the whole catalog, and moto's own default EBS snapshots stay in place (about
1,300 per region: they are what drowned the failures in the per-resource score of 99).

moto reports 24 enabled regions; scanning all of them with their default snapshots takes
about four minutes, so the `few_regions` fixture trims moto's region list to us-east-1,
eu-west-1 and one region that is not opted in. Discovery still runs as in production
(ec2:DescribeRegions, opt-in status filter, probes); only the list moto returns is shorter.
AWS_E2E_ALL_REGIONS=1 keeps moto's whole list (about four minutes):
  AWS_E2E_ALL_REGIONS=1 .venv/bin/python -m pytest -p no:cacheprovider -q -s \
      tests/checks_aws/test_misconfigured_account.py
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

from compliance_app.models import AuditStatus, EvidenceStatus
from compliance_app.services import audit_queue, engine, integrations, scans
from compliance_app.services.authz import Actor
from compliance_app.services.scoring import score_audit
from tests.checks_aws.helpers import CREDS
from tests.factories import actor_for, make_org, make_user
from tests.scans.helpers import WORKER, evidence_of, load_audit

HOME, OTHER, NOT_OPTED_IN = "us-east-1", "eu-west-1", "ap-east-1"
ALL_REGIONS = os.environ.get("AWS_E2E_ALL_REGIONS") == "1"
OPEN_WORLD = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
ADMIN_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
#: The account's misconfigurations, by the check that must find them.
EXPECTED_FAILURES = {
    "s3_bucket_public_access",  # public bucket
    "rds_instance_no_public_access", "rds_instance_storage_encrypted",  # public, unencrypted RDS
    "iam_root_mfa_enabled",  # root without MFA
    "iam_policy_no_administrative_privileges",  # an admin policy
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",  # SSH open to the world
    "cloudtrail_multi_region_enabled",  # no CloudTrail
}


@pytest.fixture
def few_regions(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's DescribeRegions answers with two enabled regions and one that is not opted in."""
    if ALL_REGIONS:
        return
    kept = [r for r in RegionsAndZonesBackend.regions if r.name in {HOME, OTHER, NOT_OPTED_IN}]
    assert {r.name: r.opt_in_status for r in kept}[NOT_OPTED_IN] == "not-opted-in"
    monkeypatch.setattr(RegionsAndZonesBackend, "regions", kept)


@pytest.fixture
def misconfigured(monkeypatch: pytest.MonkeyPatch, few_regions: None) -> Iterator[None]:
    """Public bucket, public unencrypted RDS, root without MFA, an admin policy, SSH open to the
    world, no CloudTrail; the same database and security group mistakes in eu-west-1."""
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "true")  # keep moto's default snapshots
    with mock_aws():
        s3 = boto3.client("s3", region_name=HOME)
        s3.create_bucket(Bucket="public-reports")
        s3.put_bucket_acl(Bucket="public-reports", ACL="public-read")
        iam = boto3.client("iam")
        arn = iam.create_policy(PolicyName="everything", PolicyDocument=json.dumps(ADMIN_DOC))["Policy"]["Arn"]
        iam.create_group(GroupName="ops")
        iam.attach_group_policy(GroupName="ops", PolicyArn=arn)
        for region in (HOME, OTHER):
            ec2 = boto3.client("ec2", region_name=region)
            sg = ec2.create_security_group(GroupName="ssh", Description="ssh from anywhere")["GroupId"]
            ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=OPEN_WORLD)
            boto3.client("rds", region_name=region).create_db_instance(
                DBInstanceIdentifier=f"customers-{region}", DBInstanceClass="db.t3.micro", Engine="postgres",
                MasterUsername="admin", MasterUserPassword="not-a-real-pw-1", AllocatedStorage=20,
                PubliclyAccessible=True, StorageEncrypted=False, BackupRetentionPeriod=1)
        yield


def test_misconfigured_account_is_found_everywhere_and_scored_per_check(db: str, misconfigured: None) -> None:
    owner = make_user()
    org = make_org(owner)
    row = integrations.add_aws_integration(actor_for(owner), org.id, "AKIAMISCONFIGURED001",
                                           CREDS["secret_access_key"], None, None, None, None)
    assert row.config["regions"] == []  # no regions given: every enabled region
    audit = scans.request_scan(Actor.system("test"), org.id)
    assert audit_queue.claim_audit(audit.id, WORKER)
    engine.run_audit(audit.id, WORKER)
    audit = load_audit(audit.id)
    assert audit.status == AuditStatus.COMPLETED, audit.error

    rows = evidence_of(audit.id)
    failing = {key for key, _, e in rows if e.status == EvidenceStatus.FAIL}
    assert failing >= EXPECTED_FAILURES, EXPECTED_FAILURES - failing
    in_other = {(key, e.resource_id.rsplit(":", 1)[-1]) for key, _, e in rows
                if e.status == EvidenceStatus.FAIL and e.region == OTHER}
    assert ("rds_instance_no_public_access", f"customers-{OTHER}") in in_other
    assert any(key == "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22" for key, _ in in_other)
    assert Counter(key for key, _, _ in rows)["ec2_ebs_public_snapshot"] > 2000  # moto's snapshots, both regions
    assert {e.integration_id for _, _, e in rows} == {row.id}

    coverage = audit.scope[str(row.id)]
    assert (coverage["provider"], coverage["account"]) == ("aws", "123456789012")
    enabled = sorted(r.name for r in RegionsAndZonesBackend.regions if r.opt_in_status != "not-opted-in")
    assert coverage["scanned"] == enabled and coverage["skipped"] == {}
    assert ALL_REGIONS or enabled == [OTHER, HOME]

    severity = {c.meta.key: c.meta.severity for c in engine.default_checks()}
    groups = Counter((key, severity[key], e.status) for key, _, e in rows)
    own = score_audit((key, sev, status, n) for (key, sev, status), n in groups.items())
    assert audit.score == own.score and audit.check_counts == own.check_counts
    assert audit.score < 45, audit.score
    weight = {"critical": 10, "high": 5, "medium": 3, "low": 1}
    scored = [(weight[severity[key]], e.status) for key, _, e in rows
              if e.status in (EvidenceStatus.PASS, EvidenceStatus.FAIL, EvidenceStatus.RISK_ACCEPTED)]
    per_resource = round(100 * sum(w for w, st in scored if st != EvidenceStatus.FAIL) / sum(w for w, _ in scored))
    print(f"\n{len(enabled)} regions, {len(rows)} evidence rows: score {audit.score} per check "
          f"(the old per-resource formula gives {per_resource}); checks {audit.check_counts}")
