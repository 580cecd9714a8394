"""S3 and CloudTrail checks on moto (buckets, Block Public Access, trails)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from compliance_app.checks.registry import get_check
from compliance_app.providers import callchain
from compliance_app.providers.aws import AwsSession
from compliance_app.providers.aws.collectors import s3 as s3_collectors
from tests.catalog_cases import covers
from tests.checks_aws.helpers import ERROR, FAIL, PASS, REGION, evaluate, run, status_of

ACCOUNT_ID = "123456789012"
ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
          "RestrictPublicBuckets": True}


def _public_policy(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]})


def _tls_policy(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


@pytest.fixture
def s3(session: AwsSession):
    return boto3.client("s3", region_name=REGION)


# -- account and bucket Block Public Access ---------------------------------------
@covers("s3_account_level_public_access_blocks", "pass")
def test_account_public_access_block_on_passes(session: AwsSession) -> None:
    boto3.client("s3control", region_name=REGION).put_public_access_block(
        AccountId=ACCOUNT_ID, PublicAccessBlockConfiguration=ALL_ON)
    [f] = run("s3_account_level_public_access_blocks", session)
    assert f.status == PASS


@covers("s3_account_level_public_access_blocks", "fail")
def test_account_public_access_block_missing_or_partial_fails(session: AwsSession) -> None:
    [f] = run("s3_account_level_public_access_blocks", session)
    assert f.status == FAIL and "BlockPublicAcls" in f.message
    [f] = evaluate("s3_account_level_public_access_blocks", {**ALL_ON, "RestrictPublicBuckets": False})
    assert f.status == FAIL and "RestrictPublicBuckets" in f.message


@covers("s3_bucket_level_public_access_block", "pass", "fail")
def test_bucket_level_public_access_block(session: AwsSession, s3) -> None:
    s3.create_bucket(Bucket="blocked-bucket")
    s3.create_bucket(Bucket="open-bucket")
    s3.put_public_access_block(Bucket="blocked-bucket", PublicAccessBlockConfiguration=ALL_ON)
    findings = run("s3_bucket_level_public_access_block", session)
    assert status_of(findings, "blocked-bucket") == PASS
    assert status_of(findings, "open-bucket") == FAIL


# -- public buckets --------------------------------------------------------------
@covers("s3_bucket_public_access", "pass", "fail")
def test_private_bucket_passes_public_ones_fail(session: AwsSession, s3) -> None:
    s3.create_bucket(Bucket="private-bucket")
    s3.create_bucket(Bucket="acl-bucket")
    s3.put_bucket_acl(Bucket="acl-bucket", ACL="public-read")
    s3.create_bucket(Bucket="policy-bucket")
    s3.put_bucket_policy(Bucket="policy-bucket", Policy=_public_policy("policy-bucket"))
    findings = run("s3_bucket_public_access", session)
    assert status_of(findings, "private-bucket") == PASS
    acl = next(f for f in findings if "acl-bucket" in f.resource_id)
    assert acl.status == FAIL and "AllUsers" in acl.message and acl.region == REGION
    assert status_of(findings, "policy-bucket") == FAIL


def test_policy_status_is_asked_only_of_buckets_with_a_policy(session: AwsSession, s3) -> None:
    """Without a policy S3 answers NoSuchBucketPolicy to GetBucketPolicyStatus too: most buckets cost
    one call less (a 200-bucket scan made 200 of them); a public policy still fails."""
    s3.create_bucket(Bucket="private-bucket")
    s3.create_bucket(Bucket="policy-bucket")
    s3.put_bucket_policy(Bucket="policy-bucket", Policy=_public_policy("policy-bucket"))
    with callchain.recording() as recorder:
        findings = run("s3_bucket_public_access", session)
    asked = [json.loads(key.split(" ", 1)[1])["Bucket"] for _, op, key in recorder.calls
             if op == "GetBucketPolicyStatus"]
    assert asked == ["policy-bucket"]
    assert (status_of(findings, "private-bucket"), status_of(findings, "policy-bucket")) == (PASS, FAIL)
    private = next(f for f in findings if "private-bucket" in f.resource_id)
    assert private.raw_data["PolicyStatus"] == {}


def test_block_public_access_neutralises_public_acl() -> None:
    bucket = {"Name": "b", "Grants": [{"Grantee": "http://acs.amazonaws.com/groups/global/AllUsers"}],
              "PolicyStatus": {"IsPublic": True}, "PublicAccessBlock": ALL_ON}
    [f] = evaluate("s3_bucket_public_access", [bucket], {})
    assert f.status == PASS


def test_account_level_block_public_access_makes_a_public_acl_harmless(session: AwsSession, s3) -> None:
    s3.create_bucket(Bucket="acl-bucket")
    s3.put_bucket_acl(Bucket="acl-bucket", ACL="public-read")
    boto3.client("s3control", region_name=REGION).put_public_access_block(
        AccountId=ACCOUNT_ID, PublicAccessBlockConfiguration=ALL_ON)
    [public] = run("s3_bucket_public_access", session)
    [blocked] = run("s3_bucket_level_public_access_block", session)
    assert (public.status, blocked.status) == (PASS, PASS), (public.message, blocked.message)
    assert public.raw_data["AccountPublicAccessBlock"] == ALL_ON


def test_unreadable_account_block_never_makes_a_bucket_pass() -> None:
    bucket = {"Name": "b", "Grants": [{"Grantee": "http://acs.amazonaws.com/groups/global/AllUsers"}],
              "PolicyStatus": {}, "PublicAccessBlock": {}}
    [f] = evaluate("s3_bucket_public_access", [bucket], {"__error__": "Access denied calling s3control"})
    assert f.status == FAIL


def test_no_buckets_means_none_public(session: AwsSession) -> None:
    assert run("s3_bucket_public_access", session) == []
    assert get_check("s3_bucket_public_access").meta.when_empty == PASS
    assert run("s3_bucket_versioning_enabled", session) == []


def test_bucket_listing_is_paginated(session: AwsSession, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s3_collectors, "_bucket_details", lambda s, bucket: {"Name": bucket["Name"]})
    client = session.client("s3")
    with Stubber(client) as stub:
        stub.add_response("list_buckets", {"Buckets": [{"Name": "first-page"}], "ContinuationToken": "next"},
                          {"MaxBuckets": 10_000})
        stub.add_response("list_buckets", {"Buckets": [{"Name": "second-page"}]},
                          {"ContinuationToken": "next", "MaxBuckets": 10_000})
        assert [b["Name"] for b in session.collect("s3.buckets")] == ["first-page", "second-page"]


@covers(["s3_bucket_public_access", "s3_bucket_versioning_enabled"], "error")
def test_unreadable_bucket_attribute_is_error_not_pass() -> None:
    bucket = {"Name": "b", "Region": REGION, "Grants": {"__error__": "Access denied calling s3:GetBucketAcl"},
              "PolicyStatus": {}, "PublicAccessBlock": {}, "Versioning": {"__error__": "Access denied"}}
    [f] = evaluate("s3_bucket_public_access", [bucket], {})
    assert f.status == ERROR and "GetBucketAcl" in f.message
    [f] = evaluate("s3_bucket_versioning_enabled", [bucket])
    assert f.status == ERROR


# -- bucket settings -------------------------------------------------------------
@covers("s3_bucket_secure_transport_policy", "pass", "fail")
def test_secure_transport_policy(session: AwsSession, s3) -> None:
    s3.create_bucket(Bucket="tls-bucket")
    s3.put_bucket_policy(Bucket="tls-bucket", Policy=_tls_policy("tls-bucket"))
    s3.create_bucket(Bucket="plain-bucket")
    findings = run("s3_bucket_secure_transport_policy", session)
    assert status_of(findings, "tls-bucket") == PASS
    assert status_of(findings, "plain-bucket") == FAIL


def test_secure_transport_condition_key_is_case_insensitive() -> None:
    policy = json.loads(_tls_policy("lower-bucket"))
    policy["Statement"][0]["Condition"] = {"Bool": {"aws:securetransport": "false"}}
    policy["Statement"][0]["Action"] = "S3:*"
    [f] = evaluate("s3_bucket_secure_transport_policy", [{"Name": "lower-bucket", "Policy": json.dumps(policy)}])
    assert f.status == PASS


@covers("s3_bucket_versioning_enabled", "pass", "fail")
def test_versioning(session: AwsSession, s3) -> None:
    s3.create_bucket(Bucket="versioned-bucket")
    s3.put_bucket_versioning(Bucket="versioned-bucket", VersioningConfiguration={"Status": "Enabled"})
    s3.create_bucket(Bucket="suspended-bucket")
    s3.put_bucket_versioning(Bucket="suspended-bucket", VersioningConfiguration={"Status": "Suspended"})
    findings = run("s3_bucket_versioning_enabled", session)
    assert status_of(findings, "versioned-bucket") == PASS
    assert status_of(findings, "suspended-bucket") == FAIL


@covers("s3_bucket_server_access_logging_enabled", "pass", "fail")
def test_server_access_logging(session: AwsSession, s3) -> None:
    s3.create_bucket(Bucket="log-target")
    s3.put_bucket_acl(Bucket="log-target", ACL="log-delivery-write")
    s3.create_bucket(Bucket="logged-bucket")
    s3.put_bucket_logging(Bucket="logged-bucket", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "log-target", "TargetPrefix": "logged/"}})
    findings = run("s3_bucket_server_access_logging_enabled", session)
    assert status_of(findings, "logged-bucket") == PASS
    assert status_of(findings, "log-target") == FAIL


# -- CloudTrail ---------------------------------------------------------------------
CLOUDTRAIL_CHECKS = ("cloudtrail_multi_region_enabled", "cloudtrail_log_file_validation_enabled",
                     "cloudtrail_kms_encryption_enabled", "cloudtrail_logs_s3_bucket_is_not_publicly_accessible")


def _trail(s3, name: str, bucket: str, *, multi: bool, validation: bool, kms: str | None, logging: bool) -> None:
    s3.create_bucket(Bucket=bucket)
    ct = boto3.client("cloudtrail", region_name=REGION)
    params = {"Name": name, "S3BucketName": bucket, "IsMultiRegionTrail": multi,
              "EnableLogFileValidation": validation}
    if kms:
        params["KmsKeyId"] = kms
    ct.create_trail(**params)
    if logging:
        ct.start_logging(Name=name)


@covers(CLOUDTRAIL_CHECKS, "pass")
def test_good_trail_passes_all_cloudtrail_checks(session: AwsSession, s3) -> None:
    key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    _trail(s3, "main-trail", "trail-logs-private", multi=True, validation=True, kms=key, logging=True)
    for key_name in CLOUDTRAIL_CHECKS:
        findings = run(key_name, session)
        assert [f.status for f in findings] == [PASS], (key_name, findings)


@covers(CLOUDTRAIL_CHECKS, "fail")
def test_weak_trail_fails_all_cloudtrail_checks(session: AwsSession, s3) -> None:
    _trail(s3, "weak-trail", "trail-logs-public", multi=False, validation=False, kms=None, logging=True)
    s3.put_bucket_policy(Bucket="trail-logs-public", Policy=_public_policy("trail-logs-public"))
    [multi] = run("cloudtrail_multi_region_enabled", session)
    assert multi.status == FAIL and multi.resource_id == f"region/{REGION}"
    [validation] = run("cloudtrail_log_file_validation_enabled", session)
    [kms] = run("cloudtrail_kms_encryption_enabled", session)
    [public] = run("cloudtrail_logs_s3_bucket_is_not_publicly_accessible", session)
    assert (validation.status, kms.status, public.status) == (FAIL, FAIL, FAIL)
    assert "trail-logs-public" in public.message and "weak-trail" in public.resource_id


def test_multi_region_trail_not_logging_fails(session: AwsSession, s3) -> None:
    _trail(s3, "stopped-trail", "trail-logs-stopped", multi=True, validation=True, kms=None, logging=False)
    [f] = run("cloudtrail_multi_region_enabled", session)
    assert f.status == FAIL


def test_no_trail_fails_multi_region_and_others_not_applicable(session: AwsSession) -> None:
    assert run("cloudtrail_multi_region_enabled", session)[0].status == FAIL
    assert run("cloudtrail_log_file_validation_enabled", session) == []


@covers("cloudtrail_logs_s3_bucket_is_not_publicly_accessible", "error")
def test_trail_bucket_in_other_account_is_error() -> None:
    trail = {"Name": "org", "TrailARN": "arn:aws:cloudtrail:us-east-1:1:trail/org", "S3BucketName": "central-logs"}
    [f] = evaluate("cloudtrail_logs_s3_bucket_is_not_publicly_accessible", {REGION: [trail]}, [], {})
    assert f.status == ERROR and "central-logs" in f.message


@covers("cloudtrail_multi_region_enabled", "error")
def test_unreadable_trail_status_is_error_not_fail() -> None:
    trail = {"Name": "org", "TrailARN": "arn:aws:cloudtrail:us-east-1:1:trail/org", "IsMultiRegionTrail": True,
             "IsLogging": None, "StatusError": "Access denied calling cloudtrail:GetTrailStatus in us-east-1"}
    [f] = evaluate("cloudtrail_multi_region_enabled", [trail], REGION)
    assert f.status == ERROR and "GetTrailStatus" in f.message


def test_multi_region_trail_logging_only_data_events_fails(session: AwsSession, s3) -> None:
    _trail(s3, "data-trail", "trail-logs-data", multi=True, validation=True, kms=None, logging=True)
    boto3.client("cloudtrail", region_name=REGION).put_event_selectors(TrailName="data-trail", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": False,
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}])
    [f] = run("cloudtrail_multi_region_enabled", session)
    assert f.status == FAIL and "do not record all management events" in f.message


@pytest.mark.parametrize(("selectors", "expected"), [
    ({"EventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]}, FAIL),
    ({"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]}, PASS),
    ({"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                                     {"Field": "readOnly", "Equals": ["true"]}]}]}, FAIL),
    ({"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                                     {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]}]},
     FAIL),
    ({"SelectorsError": "Access denied calling cloudtrail:GetEventSelectors"}, ERROR),
])
def test_event_selectors_decide_management_coverage(selectors: dict, expected: str) -> None:
    trail = {"Name": "org", "TrailARN": "arn:aws:cloudtrail:us-east-1:1:trail/org", "IsMultiRegionTrail": True,
             "IsLogging": True, **selectors}
    [f] = evaluate("cloudtrail_multi_region_enabled", [trail], REGION)
    assert f.status == expected, f.message
