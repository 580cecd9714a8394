"""AwsSession and test_connection: memoized collection, errors that say what to fix, no secrets."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError
from botocore.stub import Stubber

from compliance_app.providers.aws import COLLECTORS, AwsSession, describe_error, test_connection
from compliance_app.providers.aws import session as aws_session
from compliance_app.providers.base import CollectionError
from tests.checks_aws.helpers import (
    CREDS,
    ERROR,
    FAIL,
    PASS,
    REGION,
    FakeSession,
    RaisingClient,
    break_client,
    client_error,
    run,
)

SECRET = CREDS["secret_access_key"]


# -- memoized collection ----------------------------------------------------------------
def test_collect_calls_each_collector_once_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def slow(session: AwsSession, region: str) -> list[str]:
        calls.append(region)
        time.sleep(0.05)
        return ["data"]

    monkeypatch.setitem(COLLECTORS, "test.slow", slow)
    session = AwsSession({"regions": [REGION, "eu-west-1"]}, CREDS)
    results: list[Any] = []
    threads = [threading.Thread(target=lambda r=r: results.append(session.collect("test.slow", r)))
               for r in [REGION, "eu-west-1"] * 8]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(calls) == ["eu-west-1", REGION]
    assert results == [["data"]] * 16


def test_collect_memoizes_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def denied(session: AwsSession, region: str) -> None:
        calls.append(1)
        raise client_error("AccessDenied", "ListThings")

    monkeypatch.setitem(COLLECTORS, "test.denied", denied)
    session = AwsSession({}, CREDS)
    for _ in range(3):
        with pytest.raises(CollectionError, match="Access denied calling test:ListThings"):
            session.collect("test.denied")
    assert len(calls) == 1
    assert session.home_region == "us-east-1"  # global collectors are called there


def test_unknown_collector_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        AwsSession({}, CREDS).collect("nope.nothing")


def test_missing_credentials_never_fall_back_to_host_credentials(aws: None) -> None:
    [f] = run("guardduty_is_enabled", AwsSession({}, {}))
    assert f.status == ERROR and "No AWS access key" in f.message


def test_invalid_region_is_rejected() -> None:
    with pytest.raises(ValueError, match="us-east-1"):
        AwsSession({"regions": ["US East"]}, CREDS)


# -- errors become ERROR findings, per region --------------------------------------------
def test_denied_region_is_error_other_regions_still_evaluated(aws: None) -> None:
    session = AwsSession({"regions": [REGION, "eu-west-1"]}, CREDS)
    boto3.client("ec2", region_name=REGION).create_volume(AvailabilityZone=f"{REGION}a", Size=1)
    assert session.regions == [REGION, "eu-west-1"]  # both answered when the scan began
    break_client(session, "ec2", client_error("UnauthorizedOperation", "DescribeVolumes"), "eu-west-1")
    findings = run("ec2_ebs_volume_encryption", session)
    by_region = {f.region: f for f in findings}
    assert by_region[REGION].status == FAIL
    err = by_region["eu-west-1"]
    assert err.status == ERROR and err.resource_id == "region/eu-west-1"
    assert err.message.startswith("Access denied calling ec2:DescribeVolumes in eu-west-1")
    assert "SecurityAudit" in err.message


def test_throttling_and_opt_in_region_are_readable(session: AwsSession) -> None:
    break_client(session, "guardduty", client_error("ThrottlingException", "ListDetectors"))
    [f] = run("guardduty_is_enabled", session)
    assert f.status == ERROR and "throttled" in f.message and "again later" in f.message
    break_client(session, "rds", client_error("OptInRequired", "DescribeDBInstances"))
    [f] = run("rds_instance_backup_enabled", session)
    assert f.status == ERROR and "not enabled for this account" in f.message


def test_global_collector_failure_is_account_error(session: AwsSession) -> None:
    break_client(session, "iam", client_error("AccessDenied", "ListUsers"))
    [f] = run("iam_user_mfa_enabled_console_access", session)
    assert (f.status, f.resource_id) == (ERROR, "account")


def test_unexpected_exception_in_check_becomes_error() -> None:
    fake = FakeSession({"ec2.volumes": [{"no": "VolumeId"}], "iam.password_policy": "not a dict"})
    [f] = run("ec2_ebs_volume_encryption", fake)
    assert f.status == ERROR and "KeyError" in f.message and f.region == REGION
    [f] = run("iam_password_policy_minimum_length_14", fake)
    assert f.status == ERROR and "failed unexpectedly" in f.message


def test_unreachable_endpoint_is_error_quickly() -> None:
    session = AwsSession({"regions": [REGION], "endpoint_url": "http://127.0.0.1:9"}, CREDS)
    started = time.monotonic()
    [f] = run("kms_cmk_rotation_enabled", session)
    assert f.status == ERROR and "Could not reach the AWS kms endpoint in us-east-1" in f.message
    assert time.monotonic() - started < 15


def test_secrets_are_scrubbed_from_error_messages() -> None:
    exc = client_error("WeirdError", "GetThing", f"bad signature for {SECRET}")
    message = describe_error(exc, "s3", REGION, CREDS)
    assert SECRET not in message and "***" in message


# -- assume role ----------------------------------------------------------------------------
def test_assume_role_sends_external_id() -> None:
    sts = boto3.client("sts", region_name=REGION)
    stubber = Stubber(sts)
    stubber.add_response("assume_role", {"Credentials": {
        "AccessKeyId": "ASIAEXAMPLEEXAMPLE12", "SecretAccessKey": "x" * 40, "SessionToken": "token",
        "Expiration": "2030-01-01T00:00:00Z"}},
        {"RoleArn": "arn:aws:iam::111122223333:role/Audit", "RoleSessionName": "compliance-app-scan",
         "ExternalId": "ext-123"})

    class Base:
        def client(self, *args: Any, **kwargs: Any) -> Any:
            return sts

    with stubber:
        assumed = aws_session.assume_role(Base(), "arn:aws:iam::111122223333:role/Audit", "ext-123", REGION, None)
    stubber.assert_no_pending_responses()
    assert assumed.get_credentials().access_key == "ASIAEXAMPLEEXAMPLE12"


def test_scan_with_assumed_role_on_moto(aws: None) -> None:
    session = AwsSession({"regions": [REGION], "role_arn": "arn:aws:iam::123456789012:role/Audit"},
                         {**CREDS, "external_id": "ext-123"})
    [f] = run("guardduty_is_enabled", session)
    assert f.status == FAIL
    assert session.boto_session() is not session._base


def _capture_assume_role(session: AwsSession) -> list[dict[str, Any]]:
    """Record the parameters of every AssumeRole call made through the session's base credentials."""
    sent: list[dict[str, Any]] = []
    session._base.events.register("provide-client-params.sts.AssumeRole",
                                  lambda params, **_: sent.append(dict(params)))
    return sent


def test_keys_assume_the_role_with_external_id_on_moto(aws: None) -> None:
    role = "arn:aws:iam::123456789012:role/Audit"
    session = AwsSession({"regions": [REGION], "role_arn": role}, {**CREDS, "external_id": "ext-123"},
                         host_credentials=False)
    sent = _capture_assume_role(session)
    identity = session.client("sts").get_caller_identity()
    assert sent == [{"RoleArn": role, "RoleSessionName": "compliance-app-scan", "ExternalId": "ext-123"}]
    assert identity["Arn"].startswith("arn:aws:sts::123456789012:assumed-role/Audit/")
    assert session._base.get_credentials().access_key == CREDS["access_key_id"]


def test_role_without_keys_refused_unless_host_credentials(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAHOSTIDENTITY0001")
    role = "arn:aws:iam::123456789012:role/Audit"
    refused = AwsSession({"role_arn": role}, {"external_id": "ext-123"}, host_credentials=False)
    with pytest.raises(CollectionError, match="AWS_USE_HOST_CREDENTIALS"):
        refused.boto_session()
    assert not test_connection({"role_arn": role}, {"external_id": "ext-123"}).ok

    # Opted in: boto3's default chain (here the environment's fake credentials) assumes the role.
    host = AwsSession({"regions": [REGION], "role_arn": role}, {"external_id": "ext-123"}, host_credentials=True)
    sent = _capture_assume_role(host)
    assert host.client("sts").get_caller_identity()["Arn"].startswith("arn:aws:sts::123456789012:assumed-role/")
    assert [p["ExternalId"] for p in sent] == ["ext-123"]
    assert host._base.get_credentials().access_key == "AKIAHOSTIDENTITY0001"


def test_host_credentials_never_scan_without_a_role(aws: None) -> None:
    session = AwsSession({"regions": [REGION]}, {}, host_credentials=True)
    with pytest.raises(CollectionError, match="No AWS access key"):
        session.boto_session()


def test_host_credentials_setting_reaches_the_connection_test(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from compliance_app.settings import get_settings

    role = "arn:aws:iam::123456789012:role/Audit"
    monkeypatch.setenv("AWS_USE_HOST_CREDENTIALS", "true")
    get_settings.cache_clear()
    try:
        result = test_connection({"regions": [REGION], "role_arn": role}, {})
    finally:
        monkeypatch.delenv("AWS_USE_HOST_CREDENTIALS")
        get_settings.cache_clear()
    assert result.ok and role in result.message
    refused = test_connection({"regions": [REGION], "role_arn": role}, {})
    assert not refused.ok and "AWS_USE_HOST_CREDENTIALS" in refused.message


def test_role_credentials_stay_out_of_botocore_debug_log(aws: None, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    external_id = "ext-canary,with/odd=chars"
    session = AwsSession({"regions": [REGION], "role_arn": "arn:aws:iam::123456789012:role/Audit"},
                         {**CREDS, "external_id": external_id}, host_credentials=False)
    session.client("sts").get_caller_identity()
    temporary = session.boto_session().get_credentials()
    wire = [r for r in caplog.records if r.name.startswith("botocore.")]
    assert any("AssumeRole" in r.getMessage() for r in wire), "botocore did not log the call: test is blind"
    assert any("x-amz-security-token" in r.getMessage().lower() for r in wire)
    text = "\n".join(f"{r.getMessage()} {r.args!r}" for r in wire)
    for secret in (external_id, "ext-canary", SECRET, temporary.secret_key, temporary.token):
        assert secret not in text


def test_assume_role_denied_errors_every_check(monkeypatch: pytest.MonkeyPatch) -> None:
    def deny(*args: Any) -> None:
        raise client_error("AccessDenied", "AssumeRole")

    monkeypatch.setattr(aws_session, "assume_role", deny)
    session = AwsSession({"role_arn": "arn:aws:iam::111122223333:role/Audit"}, CREDS)
    [f] = run("guardduty_is_enabled", session)
    assert f.status == ERROR and "trust policy" in f.message


# -- test_connection -------------------------------------------------------------------------
def _fail_service(monkeypatch: pytest.MonkeyPatch, service: str, exc: Exception, region: str | None = None) -> None:
    original = AwsSession._client_from

    def client_from(self: AwsSession, session: Any, svc: str, reg: str) -> Any:
        if svc == service and (region is None or reg == region):
            return RaisingClient(exc)
        return original(self, session, svc, reg)

    monkeypatch.setattr(AwsSession, "_client_from", client_from)


def test_connection_ok_on_moto(aws: None) -> None:
    result = test_connection({"regions": [REGION, "eu-west-1"]}, CREDS)
    assert result.ok, result.message
    assert "123456789012" in result.message and result.details["regions"] == {REGION: "ok", "eu-west-1": "ok"}
    assert SECRET not in str(result)


def test_connection_ok_with_role_on_moto(aws: None) -> None:
    role = "arn:aws:iam::123456789012:role/Audit"
    result = test_connection({"role_arn": role}, {**CREDS, "external_id": "ext"})
    assert result.ok and role in result.message


@pytest.mark.parametrize("code", ["InvalidClientTokenId", "SignatureDoesNotMatch"])
def test_connection_bad_credentials(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    _fail_service(monkeypatch, "sts", client_error(code, "GetCallerIdentity", f"key {SECRET} is bad"))
    result = test_connection({}, CREDS)
    assert not result.ok
    assert "rejected the credentials" in result.message and "secret access key" in result.message
    assert SECRET not in result.message and CREDS["access_key_id"] not in result.message


def test_connection_assume_role_denied(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def deny(*args: Any) -> None:
        raise client_error("AccessDenied", "AssumeRole")

    monkeypatch.setattr(aws_session, "assume_role", deny)
    result = test_connection({"role_arn": "arn:aws:iam::111122223333:role/Audit"}, {**CREDS, "external_id": "e"})
    assert not result.ok and "trust policy" in result.message and "external id" in result.message


def test_connection_region_disabled(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _fail_service(monkeypatch, "ec2", client_error("AuthFailure", "DescribeAvailabilityZones"), "ap-east-1")
    result = test_connection({"regions": [REGION, "ap-east-1"]}, CREDS)
    assert not result.ok
    assert "ap-east-1 is not enabled" in result.message and result.details["regions"][REGION] == "ok"


def test_connection_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    _fail_service(monkeypatch, "sts", ConnectTimeoutError(endpoint_url="https://sts.amazonaws.com"))
    result = test_connection({}, CREDS)
    assert not result.ok and "Timed out" in result.message


def test_connection_endpoint_unreachable() -> None:
    result = test_connection({"endpoint_url": "http://127.0.0.1:9"}, CREDS)
    assert not result.ok and "Could not reach" in result.message


@pytest.mark.parametrize(("config", "secrets", "expected"), [
    ({"regions": ["nowhere"]}, CREDS, "Invalid AWS region"),
    ({"role_arn": "Audit"}, CREDS, "full IAM role ARN"),
    ({}, {"access_key_id": "AKIA"}, "secret access key"),
])
def test_connection_validates_input(config: dict, secrets: dict, expected: str) -> None:
    result = test_connection(config, secrets)
    assert not result.ok and expected in result.message


def test_passing_findings_never_carry_credentials(session: AwsSession) -> None:
    [f] = run("iam_no_root_access_key", session)
    assert f.status == PASS and SECRET not in str(f.raw_data)
