"""Elastic Load Balancing v2: access logs."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import RegionalCheck, attr_error, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity


class elbv2_logging_enabled(RegionalCheck):
    meta = CheckMeta(
        key="elbv2_logging_enabled",
        title="Application and Network Load Balancers write access logs",
        provider=Provider.AWS,
        service="elbv2",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC7.2"], ["8.15"]),
        rationale="Access logs record every request a load balancer received (client, path, response, TLS "
                  "details): the evidence needed to investigate an attack on the services behind it.",
        remediation="EC2 > Load Balancers > <lb> > Attributes > Edit > Monitoring: turn on Access logs with an "
                    "S3 location, or `aws elbv2 modify-load-balancer-attributes --load-balancer-arn <arn> "
                    "--attributes Key=access_logs.s3.enabled,Value=true Key=access_logs.s3.bucket,Value=<bucket>`.",
    )
    collector = "elbv2.load_balancers"

    def evaluate(self, lbs: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for lb in lbs:
            if lb.get("Type") == "gateway":  # Gateway Load Balancers pass packets through and have no access logs
                continue
            arn, name = lb["LoadBalancerArn"], lb.get("LoadBalancerName")
            if err := attr_error(lb):
                findings.append(Finding.error(arn, f"Load balancer {name}: {err}", region))
                continue
            attrs = lb.get("Attributes") or {}
            on = str(attrs.get("access_logs.s3.enabled", "false")).lower() == "true"
            bucket = attrs.get("access_logs.s3.bucket")
            findings.append(result(on, arn,
                                   f"Load balancer {name} writes access logs"
                                   + (f" to s3://{bucket}." if bucket else "."),
                                   f"Load balancer {name} ({lb.get('Type')}) does not write access logs.",
                                   {"LoadBalancerName": name, "Type": lb.get("Type"), "Scheme": lb.get("Scheme"),
                                    "Attributes": attrs}, region))
        return findings
