"""Identity collectors (global): caller identity, root summary, credential report, users, policies."""

from __future__ import annotations

import csv
import io
import time
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from compliance_app.providers.aws.collectors._registry import collector, paginate
from compliance_app.providers.aws.errors import code

if TYPE_CHECKING:
    from compliance_app.providers.aws.session import AwsSession

from compliance_app.vocabulary import CollectionError


@collector("sts.identity")
def _sts_identity(s: AwsSession, region: str) -> dict[str, Any]:
    ident = s.client("sts").get_caller_identity()
    return {"Account": ident["Account"], "Arn": ident["Arn"]}


@collector("iam.account_summary")
def _iam_summary(s: AwsSession, region: str) -> dict[str, Any]:
    return s.client("iam").get_account_summary()["SummaryMap"]


@collector("iam.credential_report")
def _iam_credential_report(s: AwsSession, region: str) -> list[dict[str, str]]:
    iam = s.client("iam")
    for attempt in range(12):  # generation takes seconds on big accounts; ~20 s at most
        if iam.generate_credential_report().get("State") == "COMPLETE":
            break
        time.sleep(min(0.1 * 2**attempt, 3))
    try:
        content = iam.get_credential_report()["Content"]
    except ClientError as exc:
        if code(exc) in {"ReportNotPresent", "ReportInProgress", "ReportExpired"}:
            raise CollectionError("The IAM credential report was not ready in time; run the scan again.") from exc
        raise
    if isinstance(content, bytes):
        content = content.decode()
    return list(csv.DictReader(io.StringIO(content)))


@collector("iam.password_policy")
def _iam_password_policy(s: AwsSession, region: str) -> dict[str, Any]:
    """{} means the account has no password policy (AWS defaults apply)."""
    try:
        return s.client("iam").get_account_password_policy()["PasswordPolicy"]
    except ClientError as exc:
        if code(exc) == "NoSuchEntity":
            return {}
        raise


@collector("iam.users")
def _iam_users(s: AwsSession, region: str) -> list[dict[str, Any]]:
    users = paginate(s.client("iam"), "list_users", "Users")
    return [{"UserName": u["UserName"], "Arn": u["Arn"], "CreateDate": u["CreateDate"]} for u in users]


@collector("iam.users_mfa")
def _iam_users_mfa(s: AwsSession, region: str) -> list[dict[str, Any]]:
    iam = s.client("iam")
    out = []
    for user in s.collect("iam.users"):
        try:
            iam.get_login_profile(UserName=user["UserName"])
            console = True
        except ClientError as exc:
            if code(exc) != "NoSuchEntity":
                raise
            console = False
        mfa = paginate(iam, "list_mfa_devices", "MFADevices", UserName=user["UserName"])
        out.append({**user, "ConsoleAccess": console, "MFADevices": [d["SerialNumber"] for d in mfa]})
    return out


@collector("iam.access_keys")
def _iam_access_keys(s: AwsSession, region: str) -> list[dict[str, Any]]:
    iam = s.client("iam")
    out = []
    for user in s.collect("iam.users"):
        for key in paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=user["UserName"]):
            last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"]).get("AccessKeyLastUsed", {})
            out.append({"UserName": user["UserName"], "UserCreateDate": user["CreateDate"],
                        "AccessKeyId": key["AccessKeyId"], "Status": key["Status"],
                        "CreateDate": key["CreateDate"], "LastUsedDate": last.get("LastUsedDate")})
    return out


@collector("iam.user_policies")
def _iam_user_policies(s: AwsSession, region: str) -> list[dict[str, Any]]:
    iam = s.client("iam")
    out = []
    for user in s.collect("iam.users"):
        name = user["UserName"]
        attached = paginate(iam, "list_attached_user_policies", "AttachedPolicies", UserName=name)
        inline = paginate(iam, "list_user_policies", "PolicyNames", UserName=name)
        out.append({"UserName": name, "Arn": user["Arn"],
                    "AttachedPolicies": [p["PolicyName"] for p in attached], "InlinePolicies": inline})
    return out


@collector("iam.local_policies")
def _iam_local_policies(s: AwsSession, region: str) -> list[dict[str, Any]]:
    iam = s.client("iam")
    out = []
    for pol in paginate(iam, "list_policies", "Policies", Scope="Local"):
        version = iam.get_policy_version(PolicyArn=pol["Arn"], VersionId=pol["DefaultVersionId"])
        out.append({"PolicyName": pol["PolicyName"], "Arn": pol["Arn"],
                    "AttachmentCount": pol.get("AttachmentCount", 0),
                    "Document": version["PolicyVersion"]["Document"]})
    return out


#: Where inline policies live, per kind of principal: (list op, list key, name field, list-policies op, get op).
_INLINE = {
    "user": ("list_users", "Users", "UserName", "list_user_policies", "get_user_policy"),
    "group": ("list_groups", "Groups", "GroupName", "list_group_policies", "get_group_policy"),
    "role": ("list_roles", "Roles", "RoleName", "list_role_policies", "get_role_policy"),
}


@collector("iam.inline_policies")
def _iam_inline_policies(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Every inline policy of every user, group and role, with its document.

    Service-linked roles (path /aws-service-role/) are left out: AWS owns their policies and
    the account cannot change them.
    """
    iam = s.client("iam")
    out = []
    for kind, (list_op, list_key, name_key, policies_op, get_op) in _INLINE.items():
        for principal in paginate(iam, list_op, list_key):
            if principal.get("Path", "").startswith("/aws-service-role/"):
                continue
            name = principal[name_key]
            for policy in paginate(iam, policies_op, "PolicyNames", **{name_key: name}):
                doc = getattr(iam, get_op)(**{name_key: name, "PolicyName": policy})["PolicyDocument"]
                out.append({"PrincipalType": kind, "PrincipalName": name, "PrincipalArn": principal["Arn"],
                            "PolicyName": policy, "Document": doc})
    return out


@collector("iam.aws_attached_policies")
def _iam_aws_attached_policies(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """AWS-managed policies attached to at least one principal, with who holds them."""
    iam = s.client("iam")
    out = []
    for pol in paginate(iam, "list_policies", "Policies", Scope="AWS", OnlyAttached=True):
        version = iam.get_policy_version(PolicyArn=pol["Arn"], VersionId=pol["DefaultVersionId"])
        holders = []
        for page in iam.get_paginator("list_entities_for_policy").paginate(PolicyArn=pol["Arn"]):
            holders += [f"user/{u['UserName']}" for u in page.get("PolicyUsers", [])]
            holders += [f"group/{g['GroupName']}" for g in page.get("PolicyGroups", [])]
            holders += [f"role/{r['RoleName']}" for r in page.get("PolicyRoles", [])]
        out.append({"PolicyName": pol["PolicyName"], "Arn": pol["Arn"], "AttachedTo": holders,
                    "Document": version["PolicyVersion"]["Document"]})
    return out
