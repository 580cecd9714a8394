"""WAFv2 web ACLs log the requests they inspect."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import RegionalCheck, attr_error, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity


class wafv2_webacl_logging_enabled(RegionalCheck):
    meta = CheckMeta(
        key="wafv2_webacl_logging_enabled",
        title="WAFv2 web ACLs log the requests they inspect",
        provider=Provider.AWS,
        service="wafv2",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC7.2"], ["8.15", "8.16"]),
        rationale="Without logs, a web ACL blocks or allows requests without a trace: attacks cannot be "
                  "investigated, and rules cannot be tuned against real traffic.",
        remediation="WAF & Shield > Web ACLs > <web ACL> > Logging and metrics > Enable logging to a CloudWatch "
                    "Logs group, S3 bucket or Firehose stream named aws-waf-logs-*; or `aws wafv2 "
                    "put-logging-configuration --logging-configuration ResourceArn=<web-acl-arn>,"
                    "LogDestinationConfigs=<destination-arn>`.",
    )
    collector = "wafv2.web_acls"

    def evaluate(self, acls: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for acl in acls:
            name = f"{acl.get('Scope', '').lower()} web ACL {acl['Name']}"
            if err := attr_error(acl):
                findings.append(Finding.error(acl["ARN"], f"Could not read the logging of {name}: {err}", region))
                continue
            destinations = acl.get("LogDestinationConfigs") or []
            findings.append(result(bool(destinations), acl["ARN"], f"The {name} logs to {', '.join(destinations)}.",
                                   f"The {name} does not log the requests it inspects.",
                                   {"Name": acl["Name"], "Scope": acl.get("Scope"),
                                    "LogDestinationConfigs": destinations}, region))
        return findings
