"""Data-store checks on moto: RDS clusters and instance settings, ELBv2 access logs, S3 Object Lock,
EFS automatic backups; per-resource read errors are ERROR of that resource only."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from compliance_app.providers import callchain
from compliance_app.providers.aws import AwsSession
from tests.catalog_cases import covers
from tests.checks_aws.helpers import (
    ERROR,
    FAIL,
    PASS,
    REGION,
    break_client,
    client_error,
    evaluate,
    run,
    status_of,
)

CLUSTER_ENCRYPTED = "rds_cluster_storage_encrypted"
DELETION = "rds_instance_deletion_protection"
RDS_LOGS = "rds_instance_integration_cloudwatch_logs"
ELB_LOGS = "elbv2_logging_enabled"
OBJECT_LOCK = "s3_bucket_object_lock"
EFS_BACKUP = "efs_have_backup_enabled"
PASSWORD = "Passw0rd-long!"


class FailingOperation:
    """Wraps a real boto3 client; one operation raises `exc` for the resources in `only` (all when empty)."""

    def __init__(self, client: Any, op: str, exc: Exception, only: set[str] | None = None) -> None:
        self.client, self.op, self.exc, self.only = client, op, exc, only or set()

    def __getattr__(self, name: str) -> Any:
        real = getattr(self.client, name)
        if name != self.op:
            return real

        def call(*args: Any, **kwargs: Any) -> Any:
            if not self.only or set(map(str, [*args, *kwargs.values()])) & self.only:
                raise self.exc
            return real(*args, **kwargs)
        return call


def _wrap(session: AwsSession, service: str, op: str, exc: Exception, only: set[str] | None = None) -> None:
    session._clients[(service, REGION)] = FailingOperation(session.client(service, REGION), op, exc, only)


# -- RDS ----------------------------------------------------------------------------------------
def _instance(rds, name: str, **kwargs: Any) -> None:
    rds.create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.micro", Engine="postgres",
                           MasterUsername="admin", MasterUserPassword=PASSWORD, AllocatedStorage=20, **kwargs)


def _cluster(rds, name: str, **kwargs: Any) -> None:
    rds.create_db_cluster(DBClusterIdentifier=name, Engine="aurora-postgresql", MasterUsername="admin",
                          MasterUserPassword=PASSWORD, **kwargs)
    rds.create_db_instance(DBInstanceIdentifier=f"{name}-member", DBInstanceClass="db.r5.large",
                           Engine="aurora-postgresql", DBClusterIdentifier=name)


@covers(CLUSTER_ENCRYPTED, "pass", "fail")
def test_cluster_storage_encryption(session: AwsSession) -> None:
    rds = boto3.client("rds", region_name=REGION)
    _cluster(rds, "sealed", StorageEncrypted=True)
    _cluster(rds, "plain", StorageEncrypted=False)
    findings = run(CLUSTER_ENCRYPTED, session)
    assert status_of(findings, "cluster:sealed") == PASS
    assert status_of(findings, "cluster:plain") == FAIL
    assert len(findings) == 2  # one per cluster, not per member


@covers([DELETION, RDS_LOGS], "pass", "fail")
def test_instance_settings_and_aurora_members_inherit_them(session: AwsSession) -> None:
    rds = boto3.client("rds", region_name=REGION)
    _instance(rds, "kept-db", DeletionProtection=True, EnableCloudwatchLogsExports=["postgresql"])
    _instance(rds, "loose-db")
    _cluster(rds, "guarded", DeletionProtection=True, EnableCloudwatchLogsExports=["postgresql"])
    _cluster(rds, "open")

    for key in (DELETION, RDS_LOGS):
        findings = run(key, session)
        statuses = [status_of(findings, f"db:{n}") for n in ("kept-db", "loose-db", "guarded-member", "open-member")]
        assert statuses == [PASS, FAIL, PASS, FAIL], key
    member = next(f for f in run(DELETION, session) if f.resource_id.endswith("db:guarded-member"))
    assert member.raw_data["SetOn"] == "cluster guarded" and "set on its cluster guarded" in member.message
    logs = next(f for f in run(RDS_LOGS, session) if f.resource_id.endswith("db:kept-db"))
    assert logs.raw_data["EnabledCloudwatchLogsExports"] == ["postgresql"] and logs.raw_data["SetOn"] == "instance"


@covers([CLUSTER_ENCRYPTED, DELETION, RDS_LOGS], "error")
@pytest.mark.parametrize("key", [CLUSTER_ENCRYPTED, DELETION, RDS_LOGS])
def test_rds_unreadable_is_an_error_of_the_region(session: AwsSession, key: str) -> None:
    _instance(boto3.client("rds", region_name=REGION), "some-db")
    break_client(session, "rds", client_error("AccessDenied", "DescribeDBInstances"))
    [f] = run(key, session)
    assert f.status == ERROR and f.resource_id == f"region/{REGION}" and "Access denied" in f.message


@pytest.mark.parametrize("key", [DELETION, RDS_LOGS])
def test_unreadable_clusters_leave_only_their_members_without_a_verdict(session: AwsSession, key: str) -> None:
    rds = boto3.client("rds", region_name=REGION)
    _instance(rds, "standalone-db")
    _cluster(rds, "hidden")
    _wrap(session, "rds", "get_paginator", client_error("AccessDenied", "DescribeDBClusters"),
          only={"describe_db_clusters"})
    findings = run(key, session)
    assert status_of(findings, "db:standalone-db") == FAIL
    member = next(f for f in findings if f.resource_id.endswith("db:hidden-member"))
    assert member.status == ERROR and "cluster hidden, which could not be read" in member.message
    assert "Access denied" in member.message
    [cluster_error] = run(CLUSTER_ENCRYPTED, session)
    assert cluster_error.status == ERROR and cluster_error.resource_id == f"region/{REGION}"


def test_no_databases_is_an_empty_result() -> None:
    assert evaluate(DELETION, {"instances": [], "clusters": []}, REGION) == []


# -- ELBv2 ---------------------------------------------------------------------------------------
def _load_balancer(ec2, elb, name: str, **kwargs: Any) -> str:
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    return elb.create_load_balancer(Name=name, Subnets=subnets, **kwargs)["LoadBalancers"][0]["LoadBalancerArn"]


@covers(ELB_LOGS, "pass", "fail")
def test_load_balancer_access_logs(session: AwsSession) -> None:
    ec2, elb = boto3.client("ec2", region_name=REGION), boto3.client("elbv2", region_name=REGION)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="lb-logs")
    logged = _load_balancer(ec2, elb, "logged")
    silent = _load_balancer(ec2, elb, "silent")
    elb.modify_load_balancer_attributes(LoadBalancerArn=logged, Attributes=[
        {"Key": "access_logs.s3.enabled", "Value": "true"}, {"Key": "access_logs.s3.bucket", "Value": "lb-logs"}])
    findings = run(ELB_LOGS, session)
    assert status_of(findings, logged) == PASS and status_of(findings, silent) == FAIL
    good = next(f for f in findings if f.resource_id == logged)
    assert good.raw_data["Attributes"]["access_logs.s3.bucket"] == "lb-logs" and "s3://lb-logs" in good.message


@covers(ELB_LOGS, "error")
def test_load_balancer_whose_attributes_are_unreadable_is_an_error(session: AwsSession) -> None:
    ec2, elb = boto3.client("ec2", region_name=REGION), boto3.client("elbv2", region_name=REGION)
    readable = _load_balancer(ec2, elb, "readable")
    hidden = _load_balancer(ec2, elb, "hidden")
    _wrap(session, "elbv2", "describe_load_balancer_attributes", client_error("AccessDenied", "DescribeLBAttrs"),
          only={hidden})
    findings = run(ELB_LOGS, session)
    assert status_of(findings, readable) == FAIL
    bad = next(f for f in findings if f.resource_id == hidden)
    assert bad.status == ERROR and "hidden" in bad.message and "Access denied" in bad.message


def test_gateway_load_balancers_have_no_access_logs_to_judge() -> None:
    lbs = [{"LoadBalancerArn": "arn:gwy", "LoadBalancerName": "gwy", "Type": "gateway", "Attributes": {}}]
    assert evaluate(ELB_LOGS, lbs, REGION) == []


# -- S3 Object Lock -------------------------------------------------------------------------------
@covers(OBJECT_LOCK, "pass", "fail")
def test_bucket_object_lock(session: AwsSession) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="locked-bucket", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket="locked-bucket", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}})
    s3.create_bucket(Bucket="plain-bucket")
    s3.put_bucket_versioning(Bucket="plain-bucket", VersioningConfiguration={"Status": "Enabled"})
    findings = run(OBJECT_LOCK, session)
    assert status_of(findings, "locked-bucket") == PASS
    plain = next(f for f in findings if f.resource_id == "arn:aws:s3:::plain-bucket")
    # ObjectLockConfigurationNotFoundError is the answer "not configured", never an error
    assert plain.status == FAIL and plain.raw_data["ObjectLockConfiguration"] == {} and plain.region == REGION


def test_object_lock_is_asked_only_of_versioned_buckets(session: AwsSession) -> None:
    """Object Lock needs versioning on for good: a never-versioned or suspended bucket FAILs without a
    GetObjectLockConfiguration call (one per bucket was 200 of a 200-bucket scan's requests)."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="locked-bucket", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket="locked-bucket", ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    for name, status in (("never-versioned", None), ("suspended", "Suspended"), ("versioned", "Enabled")):
        s3.create_bucket(Bucket=name)
        if status:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
    with callchain.recording() as recorder:
        findings = {f.resource_id.rsplit(":", 1)[-1]: f for f in run(OBJECT_LOCK, session)}
    asked = sorted(json.loads(key.split(" ", 1)[1])["Bucket"] for _, op, key in recorder.calls
                   if op == "GetObjectLockConfiguration")
    assert asked == ["locked-bucket", "versioned"]
    assert {name: f.status for name, f in findings.items()} == {
        "locked-bucket": PASS, "never-versioned": FAIL, "suspended": FAIL, "versioned": FAIL}
    assert findings["suspended"].raw_data["Versioning"] == "Suspended"


@covers(OBJECT_LOCK, "error")
def test_bucket_whose_object_lock_is_unreadable_is_an_error(session: AwsSession) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    for name in ("open-book", "sealed-book"):
        s3.create_bucket(Bucket=name)
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    _wrap(session, "s3", "get_object_lock_configuration", client_error("AccessDenied", "GetObjectLockConfiguration"),
          only={"sealed-book"})
    findings = run(OBJECT_LOCK, session)
    assert status_of(findings, "open-book") == FAIL
    bad = next(f for f in findings if f.resource_id.endswith("sealed-book"))
    assert bad.status == ERROR and "Access denied" in bad.message


def test_unlistable_buckets_are_one_error() -> None:
    from compliance_app.vocabulary import CollectionError
    from tests.checks_aws.helpers import FakeSession
    [f] = run(OBJECT_LOCK, FakeSession({"s3.object_lock": CollectionError("Access denied calling s3:ListBuckets")}))
    assert f.status == ERROR and f.resource_id == "account"


# -- EFS ---------------------------------------------------------------------------------------------
@covers(EFS_BACKUP, "pass", "fail")
def test_efs_automatic_backups(session: AwsSession) -> None:
    efs = boto3.client("efs", region_name=REGION)
    backed = efs.create_file_system(CreationToken="backed", Backup=True)["FileSystemId"]
    bare = efs.create_file_system(CreationToken="bare")["FileSystemId"]  # no policy: PolicyNotFound
    findings = run(EFS_BACKUP, session)
    assert [status_of(findings, fs) for fs in (backed, bare)] == [PASS, FAIL]
    assert "no backup policy" in next(f for f in findings if bare in f.resource_id).message


def test_efs_backup_policy_states() -> None:
    """Turned off later (DISABLED/DISABLING) fails; ENABLING is the minutes after turning it on (moto 5.2 has
    no PutBackupPolicy, so these states are API-shaped data)."""
    systems = [{"FileSystemId": f"fs-{status.lower()}", "BackupPolicyStatus": status}
               for status in ("ENABLED", "ENABLING", "DISABLED", "DISABLING")]
    assert [f.status for f in evaluate(EFS_BACKUP, systems, REGION)] == [PASS, PASS, FAIL, FAIL]


@covers(EFS_BACKUP, "error")
def test_efs_unreadable_backup_policy_is_an_error(session: AwsSession) -> None:
    efs = boto3.client("efs", region_name=REGION)
    seen = efs.create_file_system(CreationToken="seen")["FileSystemId"]
    unseen = efs.create_file_system(CreationToken="unseen")["FileSystemId"]
    _wrap(session, "efs", "describe_backup_policy", client_error("AccessDeniedException", "DescribeBackupPolicy"),
          only={unseen})
    findings = run(EFS_BACKUP, session)
    assert status_of(findings, seen) == FAIL and status_of(findings, unseen) == ERROR


def test_efs_unlistable_region_is_an_error(session: AwsSession) -> None:
    break_client(session, "efs", client_error("AccessDeniedException", "DescribeFileSystems"))
    [f] = run(EFS_BACKUP, session)
    assert f.status == ERROR and f.resource_id == f"region/{REGION}"
