"""EC2 instances require IMDSv2."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import RegionalCheck, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity


class ec2_instance_imdsv2_enabled(RegionalCheck):
    meta = CheckMeta(
        key="ec2_instance_imdsv2_enabled",
        title="EC2 instances require IMDSv2",
        provider=Provider.AWS,
        service="ec2",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC6.8"], ["8.9"], ["5.6"]),
        rationale="IMDSv1 lets an SSRF bug in any web app read the instance role's credentials; IMDSv2's "
                  "session tokens block that.",
        remediation="EC2 > Instances > <instance> > Actions > Instance settings > Modify instance metadata options > "
                    "IMDSv2 Required, or `aws ec2 modify-instance-metadata-options --instance-id <id> "
                    "--http-tokens required --http-endpoint enabled`.",
    )
    collector = "ec2.instances"

    def evaluate(self, instances: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for i in instances:
            if i.get("State") in ("terminated", "shutting-down"):
                continue
            opts = i.get("MetadataOptions") or {}
            ok = opts.get("HttpTokens") == "required" or opts.get("HttpEndpoint") == "disabled"
            findings.append(result(ok, i["InstanceId"], f"Instance {i['InstanceId']} requires IMDSv2.",
                                   f"Instance {i['InstanceId']} allows IMDSv1 (HttpTokens "
                                   f"{opts.get('HttpTokens', 'optional')}).",
                                   {"InstanceId": i["InstanceId"], "HttpTokens": opts.get("HttpTokens"),
                                    "HttpEndpoint": opts.get("HttpEndpoint")}, region))
        return findings
