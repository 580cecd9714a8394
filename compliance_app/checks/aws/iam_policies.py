"""No IAM policy grants administrative access: customer-managed, inline, attached AWS-managed.

All three read policies with the one evaluator in _admin_access.py (Action/NotAction x
Resource/NotResource, wildcards such as iam:* and *:*), so an evasion closed for one kind of
policy is closed for all of them.
"""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._admin_access import admin_statements
from compliance_app.checks.aws._common import AwsCheck, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity

_RATIONALE = ("A policy that allows every IAM action (\"*\" on \"*\", iam:*, or an Allow with NotAction) "
              "defeats least privilege: whoever holds it can grant themselves anything and undo any control.")


def _why(statements: list[dict[str, Any]]) -> str:
    return "; ".join(sorted({st["Why"] for st in statements}))


class iam_policy_no_administrative_privileges(AwsCheck):
    meta = CheckMeta(
        key="iam_policy_no_administrative_privileges",
        title="No customer-managed policy grants administrative privileges",
        provider=Provider.AWS,
        service="iam",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.3"], ["8.2"], ["1.16"]),
        rationale=_RATIONALE,
        remediation="Replace the statement with the specific actions and resources needed: IAM > Policies > "
                    "<policy> > Edit, or `aws iam create-policy-version --set-as-default` with a narrower document.",
        when_empty=EvidenceStatus.PASS,
    )
    collectors = ("iam.local_policies",)

    def evaluate(self, policies: list[dict[str, Any]]) -> list[Finding]:
        findings = []
        for p in policies:
            bad = admin_statements(p["Document"])
            findings.append(result(not bad, p["Arn"],
                                   f"Policy {p['PolicyName']} does not grant administrative privileges.",
                                   f"Policy {p['PolicyName']} grants administrative privileges: {_why(bad)}.",
                                   {"PolicyName": p["PolicyName"], "AttachmentCount": p.get("AttachmentCount"),
                                    "AdminStatements": bad}))
        return findings


class iam_inline_policy_no_administrative_privileges(AwsCheck):
    meta = CheckMeta(
        key="iam_inline_policy_no_administrative_privileges",
        title="No inline user, group or role policy grants administrative privileges",
        provider=Provider.AWS,
        service="iam",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.3"], ["8.2"], ["1.16"]),
        rationale=_RATIONALE + " Inline policies are easy to miss: they appear on no policy list.",
        remediation="IAM > Users/Groups/Roles > <principal> > Permissions > <inline policy> > Edit: narrow it to "
                    "the actions and resources needed (or `aws iam put-user-policy` / `put-group-policy` / "
                    "`put-role-policy` with a narrower document, `delete-*-policy` to remove it).",
        when_empty=EvidenceStatus.PASS,
    )
    collectors = ("iam.inline_policies",)

    def evaluate(self, policies: list[dict[str, Any]]) -> list[Finding]:
        findings = []
        for p in policies:
            bad = admin_statements(p["Document"])
            where = f"inline policy {p['PolicyName']} of {p['PrincipalType']} {p['PrincipalName']}"
            findings.append(result(not bad, f"{p['PrincipalArn']}/inline-policy/{p['PolicyName']}",
                                   f"The {where} does not grant administrative privileges.",
                                   f"The {where} grants administrative privileges: {_why(bad)}.",
                                   {k: p[k] for k in ("PrincipalType", "PrincipalName", "PolicyName")}
                                   | {"AdminStatements": bad}))
        return findings


class iam_aws_attached_policy_no_administrative_privileges(AwsCheck):
    meta = CheckMeta(
        key="iam_aws_attached_policy_no_administrative_privileges",
        title="No attached AWS-managed policy grants administrative privileges",
        provider=Provider.AWS,
        service="iam",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.3"], ["8.2"], ["1.16"]),
        rationale=_RATIONALE + " AdministratorAccess and IAMFullAccess are AWS-managed policies of exactly that "
                               "kind; attaching them is the usual way full access is handed out.",
        remediation="IAM > Policies > <policy> > Entities attached: detach it from each user, group and role and "
                    "attach a narrower policy instead (`aws iam detach-user-policy` / `detach-group-policy` / "
                    "`detach-role-policy --policy-arn <arn>`); keep break-glass admin access in a role that "
                    "requires MFA.",
        when_empty=EvidenceStatus.PASS,
    )
    collectors = ("iam.aws_attached_policies",)

    def evaluate(self, policies: list[dict[str, Any]]) -> list[Finding]:
        findings = []
        for p in policies:
            bad = admin_statements(p["Document"])
            holders = ", ".join(p.get("AttachedTo") or []) or "no one"
            findings.append(result(not bad, p["Arn"],
                                   f"AWS-managed policy {p['PolicyName']} does not grant administrative privileges.",
                                   f"AWS-managed policy {p['PolicyName']} grants administrative privileges "
                                   f"({_why(bad)}) and is attached to {holders}.",
                                   {"PolicyName": p["PolicyName"], "AttachedTo": p.get("AttachedTo"),
                                    "AdminStatements": bad}))
        return findings
