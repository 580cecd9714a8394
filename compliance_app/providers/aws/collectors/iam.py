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
        report = iam.get_credential_report()
    except ClientError as exc:
        if code(exc) in {"ReportNotPresent", "ReportInProgress", "ReportExpired"}:
            raise CollectionError("The IAM credential report was not ready in time; run the scan again.") from exc
        raise
    content = report["Content"]
    if isinstance(content, bytes):
        content = content.decode()
    # AWS regenerates the report at most every 4 hours: each row says when its facts were true.
    generated = report.get("GeneratedTime")
    generated_at = generated.isoformat() if hasattr(generated, "isoformat") else generated
    return [{**row, "report_generated_at": generated_at} for row in csv.DictReader(io.StringIO(content))]


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
    """Console access and MFA of every user, from the credential report: one report instead of a
    login-profile and an MFA-device call per user.

    The report holds the same facts (password_enabled: the user has a login profile;
    mfa_active: at least one MFA device) but can be up to 4 hours old, so each row carries
    the report's generation time. A user created after the report was generated has no row
    and is an error, not a pass.
    """
    users, report = s.fan_out(lambda name: s.collect(name), ["iam.users", "iam.credential_report"])
    rows = {row.get("user"): row for row in report}
    out = []
    for user in users:
        row = rows.get(user["UserName"])
        if row is None:
            out.append({**user, "__error__": f"User {user['UserName']} is not in the IAM credential report "
                                              "(created after it was generated); the next scan reads it."})
            continue
        out.append({**user, "ConsoleAccess": row.get("password_enabled") == "true",
                    "MFAActive": row.get("mfa_active") == "true",
                    "CredentialReportGeneratedAt": row.get("report_generated_at")})
    return out


@collector("iam.access_keys")
def _iam_access_keys(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Every access key with its last use: keys listed per user, last use read per key, concurrently."""
    iam = s.client("iam")

    def keys_of(user: dict[str, Any]) -> list[dict[str, Any]]:
        keys = paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=user["UserName"])
        last = s.fan_out(lambda k: iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])
                         .get("AccessKeyLastUsed", {}), keys)
        return [{"UserName": user["UserName"], "UserCreateDate": user["CreateDate"],
                 "AccessKeyId": key["AccessKeyId"], "Status": key["Status"],
                 "CreateDate": key["CreateDate"], "LastUsedDate": used.get("LastUsedDate")}
                for key, used in zip(keys, last, strict=True)]

    return [key for keys in s.fan_out(keys_of, s.collect("iam.users")) for key in keys]


@collector("iam.authorization_details")
def _iam_authorization_details(s: AwsSession, region: str) -> dict[str, list[dict[str, Any]]]:
    """Users, groups and roles with their inline and attached policies, and the customer-managed
    policies with their versions: GetAccountAuthorizationDetails answers in one paginated call
    what would otherwise take two to four calls per principal and one per policy.
    """
    details: dict[str, list[dict[str, Any]]] = {"UserDetailList": [], "GroupDetailList": [],
                                                "RoleDetailList": [], "Policies": []}
    pages = s.client("iam").get_paginator("get_account_authorization_details").paginate(
        Filter=["User", "Group", "Role", "LocalManagedPolicy"])
    for page in pages:
        for key, items in details.items():
            items.extend(page.get(key, []))
    return details


@collector("iam.user_policies")
def _iam_user_policies(s: AwsSession, region: str) -> list[dict[str, Any]]:
    users = s.collect("iam.authorization_details")["UserDetailList"]
    return [{"UserName": u["UserName"], "Arn": u["Arn"],
             "AttachedPolicies": [p["PolicyName"] for p in u.get("AttachedManagedPolicies", [])],
             "InlinePolicies": [p["PolicyName"] for p in u.get("UserPolicyList", [])]} for u in users]


@collector("iam.local_policies")
def _iam_local_policies(s: AwsSession, region: str) -> list[dict[str, Any]]:
    out = []
    for pol in s.collect("iam.authorization_details")["Policies"]:
        default = next((v for v in pol.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), {})
        # The name is the ARN's last segment (moto leaves PolicyName out of these details).
        out.append({"PolicyName": pol.get("PolicyName") or pol["Arn"].rsplit("/", 1)[-1], "Arn": pol["Arn"],
                    "AttachmentCount": pol.get("AttachmentCount", 0), "Document": default.get("Document")})
    return out


#: Where each kind of principal keeps its inline policies in GetAccountAuthorizationDetails.
_INLINE = {
    "user": ("UserDetailList", "UserName", "UserPolicyList"),
    "group": ("GroupDetailList", "GroupName", "GroupPolicyList"),
    "role": ("RoleDetailList", "RoleName", "RolePolicyList"),
}


@collector("iam.inline_policies")
def _iam_inline_policies(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Every inline policy of every user, group and role, with its document.

    Service-linked roles (path /aws-service-role/) are left out: AWS owns their policies and
    the account cannot change them.
    """
    details = s.collect("iam.authorization_details")
    out = []
    for kind, (list_key, name_key, policies_key) in _INLINE.items():
        for principal in details[list_key]:
            if principal.get("Path", "").startswith("/aws-service-role/"):
                continue
            for policy in principal.get(policies_key, []):
                out.append({"PrincipalType": kind, "PrincipalName": principal[name_key],
                            "PrincipalArn": principal["Arn"], "PolicyName": policy["PolicyName"],
                            "Document": policy["PolicyDocument"]})
    return out


@collector("iam.aws_attached_policies")
def _iam_aws_attached_policies(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """AWS-managed policies attached to at least one principal, with who holds them.

    The holders come from the authorization details (read concurrently with the policy list);
    each policy's document is one call, made concurrently.
    """
    iam = s.client("iam")
    policies, details = s.fan_out(lambda read: read(), [
        lambda: paginate(iam, "list_policies", "Policies", Scope="AWS", OnlyAttached=True),
        lambda: s.collect("iam.authorization_details")])
    holders: dict[str, list[str]] = {}
    for kind, (list_key, name_key, _) in _INLINE.items():
        for principal in details[list_key]:
            for attached in principal.get("AttachedManagedPolicies", []):
                holders.setdefault(attached["PolicyArn"], []).append(f"{kind}/{principal[name_key]}")
    documents = s.fan_out(lambda pol: iam.get_policy_version(PolicyArn=pol["Arn"], VersionId=pol["DefaultVersionId"])
                          ["PolicyVersion"]["Document"], policies)
    return [{"PolicyName": pol["PolicyName"], "Arn": pol["Arn"], "AttachedTo": holders.get(pol["Arn"], []),
             "Document": document} for pol, document in zip(policies, documents, strict=True)]
