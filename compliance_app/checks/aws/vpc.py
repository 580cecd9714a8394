"""VPC flow logs."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import RegionalCheck, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity


class vpc_flow_logs_enabled(RegionalCheck):
    meta = CheckMeta(
        key="vpc_flow_logs_enabled",
        title="Every VPC has flow logs",
        provider=Provider.AWS,
        service="vpc",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC7.2"], ["8.15"], ["3.7"]),
        rationale="Flow logs are the network record needed to detect and investigate exfiltration or "
                  "lateral movement.",
        remediation="VPC > Your VPCs > <vpc> > Flow logs > Create flow log (filter ALL or REJECT), or "
                    "`aws ec2 create-flow-logs --resource-type VPC --resource-ids <vpc-id> --traffic-type REJECT "
                    "--log-destination-type cloud-watch-logs --log-group-name <group> "
                    "--deliver-logs-permission-arn <role>`.",
    )
    collector = "ec2.vpcs_flow_logs"

    def evaluate(self, vpcs: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for v in vpcs:
            active = [fl for fl in v.get("FlowLogs", []) if fl.get("FlowLogStatus") in (None, "ACTIVE")]
            findings.append(result(bool(active), v["VpcId"], f"VPC {v['VpcId']} has flow logs.",
                                   f"VPC {v['VpcId']} has no active flow logs.",
                                   {"VpcId": v["VpcId"], "IsDefault": v.get("IsDefault"),
                                    "FlowLogs": v.get("FlowLogs", [])}, region))
        return findings
