"""Customer-managed IAM policies must not grant full administrative access."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from compliance_app.checks.aws._common import AwsCheck, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def admin_statements(document: Any) -> list[dict[str, Any]]:
    """Allow statements granting Action "*" on Resource "*" (the '*:*' of CIS 1.16)."""
    if isinstance(document, str):
        document = json.loads(unquote(document))
    found = []
    for st in _as_list(document.get("Statement", [])):
        if st.get("Effect") != "Allow" or "NotAction" in st:
            continue
        if "*" in _as_list(st.get("Action", [])) and "*" in _as_list(st.get("Resource", [])):
            found.append(st)
    return found


class iam_policy_no_administrative_privileges(AwsCheck):
    meta = CheckMeta(
        key="iam_policy_no_administrative_privileges",
        title="No customer-managed policy grants '*' on '*'",
        provider=Provider.AWS,
        service="iam",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.3"], ["8.2"], ["1.16"]),
        rationale="Full '*:*' policies defeat least privilege; whoever holds them can do and undo anything.",
        remediation="Replace the statement with the specific actions and resources needed: IAM > Policies > "
                    "<policy> > Edit, or `aws iam create-policy-version --set-as-default` with a narrower document.",
    )
    collectors = ("iam.local_policies",)

    def evaluate(self, policies: list[dict[str, Any]]) -> list[Finding]:
        findings = []
        for p in policies:
            bad = admin_statements(p["Document"])
            findings.append(result(not bad, p["Arn"],
                                   f"Policy {p['PolicyName']} does not grant '*' on '*'.",
                                   f"Policy {p['PolicyName']} grants full administrative privileges ('*' on '*').",
                                   {"PolicyName": p["PolicyName"], "AttachmentCount": p.get("AttachmentCount"),
                                    "AdminStatements": bad}))
        return findings
