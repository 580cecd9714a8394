"""Privilege escalation through inline policies, and console passwords left unused (moto + report rows)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends

from compliance_app.checks.aws._escalation import escalation_paths
from compliance_app.providers.aws import AwsSession
from tests.catalog_cases import covers
from tests.checks_aws.helpers import ERROR, FAIL, PASS, REGION, break_client, client_error, evaluate, run, status_of


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(actions: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


# -- privilege escalation -------------------------------------------------------------
@covers("iam_inline_policy_allows_privilege_escalation", "pass", "fail")
def test_inline_policy_escalation_end_to_end(session: AwsSession) -> None:
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="deployer")
    iam.put_user_policy(UserName="deployer", PolicyName="lambda-deploy", PolicyDocument=json.dumps(
        _doc(_allow(["iam:PassRole", "lambda:Create*", "lambda:InvokeFunction"]))))
    iam.put_user_policy(UserName="deployer", PolicyName="read-logs", PolicyDocument=json.dumps(
        _doc(_allow(["logs:Get*", "s3:GetObject"], "arn:aws:s3:::logs/*"))))
    findings = run("iam_inline_policy_allows_privilege_escalation", session)
    assert status_of(findings, "inline-policy/read-logs") == PASS
    assert status_of(findings, "inline-policy/lambda-deploy") == FAIL
    bad = next(f for f in findings if f.resource_id.endswith("lambda-deploy"))
    assert ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"] in bad.raw_data["EscalationPaths"]


@pytest.mark.parametrize(("document", "escalates"), [
    (_doc(_allow("iam:CreatePolicyVersion")), True),
    (_doc(_allow("IAM:createpolicyversion")), True),  # IAM action names are case-insensitive
    (_doc(_allow("iam:Attach*Policy")), True),
    (_doc(_allow("iam:*", "arn:aws:iam::123456789012:user/me")), True),  # resource narrowing is not trusted
    (_doc(_allow("*")), True),
    (_doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}), True),
    (_doc({"Effect": "Allow", "NotAction": ["iam:*", "lambda:*", "glue:*", "ec2:*", "sts:*"], "Resource": "*"}), False),
    (_doc(_allow("iam:PassRole")), False),  # PassRole alone runs nothing
    (_doc(_allow(["iam:PassRole", "ec2:RunInstances"])), True),
    (_doc(_allow("iam:Get*"), _allow("iam:List*")), False),
    (_doc(_allow("iam:*"), {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}), False),
    (_doc(_allow("iam:PutUserPolicy"), {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
                                       "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}), True),
    (_doc(_allow("iam:PutUserPolicy"), {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}), False),
    ("%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22iam%3AAddUserToGroup%22%2C"
     "%22Resource%22%3A%22%2A%22%7D%5D%7D", True),  # URL-encoded, as GetAccountAuthorizationDetails returns it
])
def test_escalation_reading(document: Any, escalates: bool) -> None:
    paths, _ = escalation_paths(document)
    assert bool(paths) == escalates, paths


@covers("iam_inline_policy_allows_privilege_escalation", "error")
def test_unreadable_policies_are_errors(session: AwsSession) -> None:
    break_client(session, "iam", client_error("AccessDenied", "GetAccountAuthorizationDetails"))
    [f] = run("iam_inline_policy_allows_privilege_escalation", session)
    assert f.status == ERROR and "GetAccountAuthorizationDetails" in f.message
    broken = [{"PrincipalType": "role", "PrincipalName": "r", "PrincipalArn": "arn:aws:iam::1:role/r",
               "PolicyName": "p", "Document": "{not json"}]
    [f] = evaluate("iam_inline_policy_allows_privilege_escalation", broken)
    assert f.status == ERROR and "inline policy p of role r" in f.message


# -- console passwords unused --------------------------------------------------------------
def _user(iam: Any, name: str, *, password: bool = True, created_days_ago: int = 0,
          last_used_days_ago: int | None = None) -> None:
    iam.create_user(UserName=name)
    if password:
        iam.create_login_profile(UserName=name, Password="Correct-Horse-Battery-9")
    # moto cannot age a user or record a sign-in through the API: set them on its model.
    user = iam_backends[DEFAULT_ACCOUNT_ID]["global"].users[name]
    user.create_date = datetime.now(UTC) - timedelta(days=created_days_ago)
    if last_used_days_ago is not None:
        user.password_last_used = datetime.now(UTC) - timedelta(days=last_used_days_ago)


@covers("iam_user_console_access_unused", "pass", "fail")
def test_console_passwords_unused_for_90_days_fail(session: AwsSession) -> None:
    iam = boto3.client("iam", region_name=REGION)
    _user(iam, "active", created_days_ago=400, last_used_days_ago=3)
    _user(iam, "dormant", created_days_ago=400, last_used_days_ago=120)
    _user(iam, "never", created_days_ago=200)
    _user(iam, "newcomer", created_days_ago=5)
    _user(iam, "api-only", password=False, created_days_ago=400)
    findings = run("iam_user_console_access_unused", session)
    assert [status_of(findings, f"user/{u}") for u in ("active", "dormant", "never", "newcomer")] == \
        [PASS, FAIL, FAIL, PASS]
    assert not [f for f in findings if "api-only" in f.resource_id]
    dormant = next(f for f in findings if f.resource_id.endswith("user/dormant"))
    assert dormant.raw_data["report_generated_at"] and "credential report of" in dormant.message


@covers("iam_user_console_access_unused", "error")
def test_unreadable_credential_report_is_an_error(session: AwsSession) -> None:
    break_client(session, "iam", client_error("AccessDenied", "GenerateCredentialReport"))
    [f] = run("iam_user_console_access_unused", session)
    assert f.status == ERROR and "GenerateCredentialReport" in f.message
    row = {"user": "odd", "arn": "arn:aws:iam::1:user/odd", "password_enabled": "true",
           "password_last_used": "no_information", "user_creation_time": "N/A"}
    [f] = evaluate("iam_user_console_access_unused", [row])
    assert f.status == ERROR
