"""CloudWatch Logs retention."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import RegionalCheck, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity

MIN_RETENTION_DAYS = 365


class cloudwatch_log_group_retention_policy_specific_days_enabled(RegionalCheck):
    meta = CheckMeta(
        key="cloudwatch_log_group_retention_policy_specific_days_enabled",
        title="CloudWatch log groups keep logs at least 365 days",
        provider=Provider.AWS,
        service="logs",
        severity=Severity.LOW,
        frameworks=frameworks(["CC7.2"], ["8.15"]),
        rationale="Incidents are often found months later; logs must still exist to investigate them.",
        remediation="CloudWatch > Log groups > <group> > Actions > Edit retention setting ≥ 1 year (or Never expire), "
                    "or `aws logs put-retention-policy --log-group-name <group> --retention-in-days 365`.",
    )
    collector = "logs.log_groups"

    def evaluate(self, groups: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for g in groups:
            days = g.get("retentionInDays")
            ok = days is None or days >= MIN_RETENTION_DAYS
            kept = "forever" if days is None else f"{days} days"
            findings.append(result(ok, g.get("arn") or g["logGroupName"],
                                   f"Log group {g['logGroupName']} keeps logs {kept}.",
                                   f"Log group {g['logGroupName']} keeps logs only {kept} "
                                   f"(minimum {MIN_RETENTION_DAYS}).",
                                   {"logGroupName": g["logGroupName"], "retentionInDays": days}, region))
        return findings
