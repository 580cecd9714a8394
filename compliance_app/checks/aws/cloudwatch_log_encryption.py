"""CloudWatch Logs log groups are encrypted with a customer-managed KMS key."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import RegionalCheck, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity


class cloudwatch_log_group_kms_encryption_enabled(RegionalCheck):
    meta = CheckMeta(
        key="cloudwatch_log_group_kms_encryption_enabled",
        title="CloudWatch log groups are encrypted with a KMS key",
        provider=Provider.AWS,
        service="logs",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC6.7"], ["8.24"]),
        rationale="Logs hold request data, identifiers and sometimes secrets. With a KMS key, reading them also "
                  "needs the key policy's permission, every decrypt is recorded in CloudTrail, and disabling "
                  "the key makes them unreadable at once.",
        remediation="Give CloudWatch Logs use of the key in its key policy, then CloudWatch > Log groups > <group> > "
                    "Actions > Edit log group > KMS key ARN (console support varies), or "
                    "`aws logs associate-kms-key --log-group-name <group> --kms-key-id <key-arn>`.",
    )
    collector = "logs.log_groups"

    def evaluate(self, groups: list[dict[str, Any]], region: str) -> list[Finding]:
        return [result(bool(g.get("kmsKeyId")), g.get("arn") or g["logGroupName"],
                       f"Log group {g['logGroupName']} is encrypted with KMS key {g.get('kmsKeyId')}.",
                       f"Log group {g['logGroupName']} is not encrypted with a KMS key (only AWS's default "
                       f"encryption).", {"logGroupName": g["logGroupName"], "kmsKeyId": g.get("kmsKeyId")}, region)
                for g in groups]
