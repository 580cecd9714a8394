"""IAM checks: moto end-to-end where it can express the state, API-shaped fixtures otherwise."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from compliance_app.checks.registry import get_check
from compliance_app.providers.aws import AwsSession
from compliance_app.providers.base import CollectionError
from tests.catalog_cases import covers
from tests.checks_aws.helpers import (
    CREDS,
    ERROR,
    FAIL,
    PASS,
    FakeSession,
    break_client,
    client_error,
    evaluate,
    run,
    status_of,
)

ADMIN_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_DOC = {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"}]}


def _ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def _root_row(**overrides: str) -> dict[str, str]:
    row = {"user": "<root_account>", "arn": "arn:aws:iam::123456789012:root", "password_last_used": "N/A",
           "access_key_1_last_used_date": "N/A", "access_key_2_last_used_date": "N/A"}
    return row | overrides


# -- root ------------------------------------------------------------------------
@covers("iam_root_mfa_enabled", "pass")
def test_root_mfa_enabled_passes_on_summary_fixture() -> None:
    [f] = evaluate("iam_root_mfa_enabled", {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0}, [])
    assert f.status == PASS and f.resource_id == "root"


@covers("iam_root_mfa_enabled", "fail")
def test_root_mfa_missing_fails_end_to_end(session: AwsSession) -> None:
    [f] = run("iam_root_mfa_enabled", session)  # moto's root has no MFA
    assert f.status == FAIL and f.raw_data["AccountMFAEnabled"] == 0


def test_root_without_any_credential_needs_no_mfa() -> None:
    """Centralized root access: no password, no keys, no certificates; nothing can sign in as root."""
    summary = {"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0, "AccountSigningCertificatesPresent": 0}
    row = _root_row(password_enabled="false", access_key_1_active="false", access_key_2_active="false")
    [f] = evaluate("iam_root_mfa_enabled", summary, [row])
    assert f.status == PASS and "centralized root access" in f.message


@pytest.mark.parametrize("row", [
    {"password_enabled": "not_supported"},  # what the report says for a root that has a password
    {"password_enabled": "false", "access_key_1_active": "true"},
])
def test_root_with_a_credential_and_no_mfa_fails(row: dict) -> None:
    summary = {"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0}
    [f] = evaluate("iam_root_mfa_enabled", summary, [_root_row(**row)])
    assert f.status == FAIL
    [f] = evaluate("iam_root_mfa_enabled", summary, {"__error__": "report denied"})
    assert f.status == FAIL


@covers("iam_no_root_access_key", "pass")
def test_no_root_access_key_passes_end_to_end(session: AwsSession) -> None:
    [f] = run("iam_no_root_access_key", session)
    assert f.status == PASS


@covers("iam_no_root_access_key", "fail")
def test_root_access_key_present_fails() -> None:
    [f] = evaluate("iam_no_root_access_key", {"AccountAccessKeysPresent": 1}, [_root_row(access_key_1_active="true")])
    assert f.status == FAIL and f.message == "The root account has 1 active access key(s)."


def test_inactive_root_access_key_is_not_called_active() -> None:
    row = _root_row(access_key_1_active="false", access_key_2_active="false")
    [f] = evaluate("iam_no_root_access_key", {"AccountAccessKeysPresent": 1}, [row])
    assert f.status == FAIL and "none of them active" in f.message and "has active" not in f.message


@covers("iam_root_mfa_enabled", "error")
def test_root_summary_unreadable_is_error(session: AwsSession) -> None:
    break_client(session, "iam", client_error("AccessDenied", "GetAccountSummary"))
    [f] = run("iam_root_mfa_enabled", session)
    assert f.status == ERROR and "Access denied calling iam:GetAccountSummary" in f.message


@covers("iam_avoid_root_usage", "pass")
def test_avoid_root_usage_passes_when_root_idle() -> None:
    [f] = evaluate("iam_avoid_root_usage", [_root_row(password_last_used=_ago(200))])
    assert f.status == PASS


@covers("iam_avoid_root_usage", "fail")
def test_avoid_root_usage_fails_on_recent_password_or_key_use() -> None:
    [f] = evaluate("iam_avoid_root_usage", [_root_row(password_last_used=_ago(3))])
    assert f.status == FAIL and "password_last_used" in f.message
    [f] = evaluate("iam_avoid_root_usage", [_root_row(access_key_2_last_used_date=_ago(30))])
    assert f.status == FAIL


def test_avoid_root_usage_without_root_row_is_error(session: AwsSession) -> None:
    [f] = run("iam_avoid_root_usage", session)  # moto's report has no <root_account> row
    assert f.status == ERROR


@covers("iam_avoid_root_usage", "error")
def test_avoid_root_usage_collector_failure_is_error() -> None:
    fake = FakeSession({"iam.credential_report": CollectionError("Access denied calling iam:GetCredentialReport")})
    [f] = run("iam_avoid_root_usage", fake)
    assert f.status == ERROR and "GetCredentialReport" in f.message


# -- users ----------------------------------------------------------------------
@covers("iam_user_mfa_enabled_console_access", "pass", "fail")
def test_console_users_need_mfa(session: AwsSession) -> None:
    iam = boto3.client("iam")
    for name in ("with-mfa", "no-mfa", "api-only"):
        iam.create_user(UserName=name)
    iam.create_login_profile(UserName="with-mfa", Password="Passw0rd!Passw0rd!")
    iam.create_login_profile(UserName="no-mfa", Password="Passw0rd!Passw0rd!")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="with-mfa")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="with-mfa", SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")
    findings = run("iam_user_mfa_enabled_console_access", session)
    assert status_of(findings, "user/with-mfa") == PASS
    assert status_of(findings, "user/no-mfa") == FAIL
    assert status_of(findings, "user/api-only") == PASS


def test_no_users_is_not_applicable(session: AwsSession) -> None:
    assert run("iam_user_mfa_enabled_console_access", session) == []


def _key(created_days: int, last_used_days: int | None, status: str = "Active") -> dict:
    return {"UserName": "alice", "UserCreateDate": _ago(400), "AccessKeyId": f"AKIA{created_days:016d}",
            "Status": status, "CreateDate": _ago(created_days),
            "LastUsedDate": None if last_used_days is None else _ago(last_used_days)}


@covers(["iam_rotate_access_key_90_days", "iam_user_accesskey_unused"], "pass")
def test_new_access_key_passes_rotation_and_usage(session: AwsSession) -> None:
    iam = boto3.client("iam")
    iam.create_user(UserName="alice")
    key_id = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    [rot] = run("iam_rotate_access_key_90_days", session)
    [unused] = run("iam_user_accesskey_unused", session)
    assert rot.status == PASS and unused.status == PASS
    assert rot.resource_id == key_id and "SecretAccessKey" not in json.dumps(rot.raw_data)


@covers("iam_rotate_access_key_90_days", "fail")
def test_old_access_key_fails_rotation() -> None:
    findings = evaluate("iam_rotate_access_key_90_days", [_key(120, 1), _key(10, 1), _key(300, 1, "Inactive")])
    assert [f.status for f in findings] == [FAIL, PASS]


@covers("iam_user_accesskey_unused", "fail")
def test_unused_access_key_fails() -> None:
    findings = evaluate("iam_user_accesskey_unused", [_key(400, 120), _key(100, None), _key(400, 5)])
    assert [f.status for f in findings] == [FAIL, FAIL, PASS]
    assert "never used" in findings[1].message


@covers("iam_policy_attached_only_to_group_or_roles", "pass", "fail")
def test_directly_attached_user_policies_fail(session: AwsSession) -> None:
    iam = boto3.client("iam")
    arn = iam.create_policy(PolicyName="read", PolicyDocument=json.dumps(READ_DOC))["Policy"]["Arn"]
    iam.create_user(UserName="direct")
    iam.create_user(UserName="inline")
    iam.create_user(UserName="clean")
    iam.attach_user_policy(UserName="direct", PolicyArn=arn)
    iam.put_user_policy(UserName="inline", PolicyName="x", PolicyDocument=json.dumps(READ_DOC))
    findings = run("iam_policy_attached_only_to_group_or_roles", session)
    assert status_of(findings, "user/direct") == FAIL
    assert status_of(findings, "user/inline") == FAIL
    assert status_of(findings, "user/clean") == PASS


def _doc(**statement: object) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]})


@covers("iam_policy_no_administrative_privileges", "pass", "fail")
def test_admin_policy_fails_and_narrow_policy_passes(session: AwsSession) -> None:
    iam = boto3.client("iam")
    iam.create_policy(PolicyName="god-mode", PolicyDocument=json.dumps(ADMIN_DOC))
    iam.create_policy(PolicyName="reader", PolicyDocument=json.dumps(READ_DOC))
    findings = run("iam_policy_no_administrative_privileges", session)
    assert status_of(findings, "policy/god-mode") == FAIL
    assert status_of(findings, "policy/reader") == PASS


def test_admin_policy_evasions_fail(session: AwsSession) -> None:
    """NotAction, NotResource, iam:* and *:* all grant what '*' on '*' grants."""
    iam = boto3.client("iam")
    evasions = {
        "not-action": _doc(NotAction="s3:DeleteBucket", Resource="*"),
        "not-resource": _doc(Action="*", NotResource="arn:aws:s3:::secret-bucket"),
        "iam-star": _doc(Action="iam:*", Resource="*"),
        "star-colon-star": _doc(Action="*:*", Resource="*"),
        "mixed-case": _doc(Action="IAM:*", Resource="*"),
    }
    for name, doc in evasions.items():
        iam.create_policy(PolicyName=name, PolicyDocument=doc)
    iam.create_policy(PolicyName="all-but-iam", PolicyDocument=_doc(NotAction="iam:*", Resource="*"))
    findings = run("iam_policy_no_administrative_privileges", session)
    for name in evasions:
        assert status_of(findings, f"policy/{name}") == FAIL, name
    assert status_of(findings, "policy/all-but-iam") == PASS
    [not_action] = [f for f in findings if f.resource_id.endswith("policy/not-action")]
    assert "every action except s3:DeleteBucket on every resource" in not_action.message


def test_every_iam_resource_is_as_good_as_every_resource() -> None:
    policy = {"PolicyName": "iam-admin", "Arn": "arn:aws:iam::123456789012:policy/iam-admin",
              "Document": _doc(Action="*", Resource="arn:aws:iam::123456789012:*")}
    [f] = evaluate("iam_policy_no_administrative_privileges", [policy])
    assert f.status == FAIL and "every IAM resource" in f.message


def test_no_customer_policies_passes_as_nothing_to_fix(session: AwsSession) -> None:
    assert run("iam_policy_no_administrative_privileges", session) == []
    assert get_check("iam_policy_no_administrative_privileges").meta.when_empty == PASS


@covers("iam_inline_policy_no_administrative_privileges", "pass", "fail")
def test_inline_admin_policies_of_users_groups_and_roles_fail(session: AwsSession) -> None:
    iam = boto3.client("iam")
    iam.create_user(UserName="alice")
    iam.create_group(GroupName="ops")
    iam.create_role(RoleName="deployer", AssumeRolePolicyDocument="{}")
    iam.put_user_policy(UserName="alice", PolicyName="all", PolicyDocument=_doc(NotAction="s3:DeleteBucket",
                                                                                  Resource="*"))
    iam.put_group_policy(GroupName="ops", PolicyName="all", PolicyDocument=json.dumps(ADMIN_DOC))
    iam.put_role_policy(RoleName="deployer", PolicyName="read", PolicyDocument=json.dumps(READ_DOC))
    findings = run("iam_inline_policy_no_administrative_privileges", session)
    assert status_of(findings, "user/alice/inline-policy/all") == FAIL
    assert status_of(findings, "group/ops/inline-policy/all") == FAIL
    assert status_of(findings, "role/deployer/inline-policy/read") == PASS
    assert any("inline policy all of user alice grants" in f.message for f in findings)


@covers("iam_aws_attached_policy_no_administrative_privileges", "pass", "fail")
def test_attached_aws_managed_admin_policy_fails(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    iam = boto3.client("iam")
    iam.create_role(RoleName="breakglass", AssumeRolePolicyDocument="{}")
    iam.attach_role_policy(RoleName="breakglass", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.attach_role_policy(RoleName="breakglass", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    findings = run("iam_aws_attached_policy_no_administrative_privileges", AwsSession({"regions": ["us-east-1"]},
                                                                                        CREDS))
    assert status_of(findings, "policy/AdministratorAccess") == FAIL
    assert status_of(findings, "policy/ReadOnlyAccess") == PASS
    [admin] = [f for f in findings if f.status == FAIL]
    assert "attached to role/breakglass" in admin.message


# -- password policy ------------------------------------------------------------
@covers(["iam_password_policy_minimum_length_14", "iam_password_policy_reuse_24"], "pass")
def test_strong_password_policy_passes(session: AwsSession) -> None:
    boto3.client("iam").update_account_password_policy(MinimumPasswordLength=14, PasswordReusePrevention=24)
    assert run("iam_password_policy_minimum_length_14", session)[0].status == PASS
    assert run("iam_password_policy_reuse_24", session)[0].status == PASS


@covers(["iam_password_policy_minimum_length_14", "iam_password_policy_reuse_24"], "fail")
def test_weak_password_policy_fails(session: AwsSession) -> None:
    boto3.client("iam").update_account_password_policy(MinimumPasswordLength=8, PasswordReusePrevention=5)
    [length] = run("iam_password_policy_minimum_length_14", session)
    [reuse] = run("iam_password_policy_reuse_24", session)
    assert length.status == FAIL and length.raw_data == {"MinimumPasswordLength": 8}
    assert reuse.status == FAIL


def test_missing_password_policy_fails(session: AwsSession) -> None:
    assert run("iam_password_policy_minimum_length_14", session)[0].status == FAIL
    assert run("iam_password_policy_reuse_24", session)[0].status == FAIL
