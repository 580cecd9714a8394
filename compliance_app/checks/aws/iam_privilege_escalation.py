"""No inline IAM policy lets its holder escalate their own privileges."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import AwsCheck, frameworks, result
from compliance_app.checks.aws._escalation import escalation_paths
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity


class iam_inline_policy_allows_privilege_escalation(AwsCheck):
    meta = CheckMeta(
        key="iam_inline_policy_allows_privilege_escalation",
        title="No inline IAM policy allows privilege escalation",
        provider=Provider.AWS,
        service="iam",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.3"], ["8.2", "5.15"]),
        rationale="Some permissions are administrator access in disguise: whoever can rewrite a policy they "
                  "hold (iam:CreatePolicyVersion), attach one (iam:AttachUserPolicy), or pass a powerful role to "
                  "code they run (iam:PassRole with lambda:CreateFunction) can make themselves administrator. "
                  "Inline policies are easy to miss: they appear on no policy list.",
        remediation="IAM > Users/Groups/Roles > <principal> > Permissions > <inline policy> > Edit: remove the "
                    "escalation actions, or restrict iam:PassRole and the iam:* write actions to the specific "
                    "resources needed; or `aws iam put-user-policy` / `put-group-policy` / `put-role-policy` "
                    "with the narrower document (`aws iam delete-role-policy` etc. to remove it).",
        when_empty=EvidenceStatus.PASS,
    )
    collectors = ("iam.inline_policies",)

    def evaluate(self, policies: list[dict[str, Any]]) -> list[Finding]:
        findings = []
        for p in policies:
            resource = f"{p['PrincipalArn']}/inline-policy/{p['PolicyName']}"
            where = f"inline policy {p['PolicyName']} of {p['PrincipalType']} {p['PrincipalName']}"
            try:
                paths, statements = escalation_paths(p["Document"])
            except ValueError as exc:  # a document that is not JSON cannot be judged
                findings.append(Finding.error(resource, f"Could not read the {where}: {exc}"))
                continue
            shown = "; ".join(" + ".join(path) for path in paths[:5]) + (" ..." if len(paths) > 5 else "")
            findings.append(result(not paths, resource, f"The {where} allows no privilege escalation.",
                                   f"The {where} allows privilege escalation through {shown}.",
                                   {k: p[k] for k in ("PrincipalType", "PrincipalName", "PolicyName")}
                                   | {"EscalationPaths": paths, "Statements": statements if paths else []}))
        return findings
