"""Systems Manager: EC2 instances are managed, and managed nodes are patch-compliant."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import RegionalCheck, failed, frameworks, passed, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity


class ec2_instance_managed_by_ssm(RegionalCheck):
    meta = CheckMeta(
        key="ec2_instance_managed_by_ssm",
        title="Running EC2 instances are managed by Systems Manager",
        provider=Provider.AWS,
        service="ssm",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC7.1"], ["8.8", "8.9"]),
        rationale="An instance Systems Manager does not manage is outside patching, inventory and session "
                  "logging: nobody can show it is patched or who logged in.",
        remediation="Attach an instance profile with the AmazonSSMManagedInstanceCore policy (or enable Default "
                    "Host Management Configuration in Systems Manager > Fleet Manager > Account management) and "
                    "make sure the SSM Agent runs and reaches the SSM endpoints; or `aws ec2 "
                    "associate-iam-instance-profile --instance-id <id> --iam-instance-profile Name=<profile>`.",
    )
    collector = "ssm.ec2_coverage"

    def evaluate(self, instances: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for i in instances:
            ssm = i.get("Ssm")
            raw = {"InstanceId": i["InstanceId"], "State": i.get("State"), "Ssm": ssm}
            if ssm is None:
                findings.append(failed(i["InstanceId"], f"Instance {i['InstanceId']} is not managed by Systems "
                                                        f"Manager.", raw, region))
                continue
            findings.append(result(ssm.get("PingStatus") == "Online", i["InstanceId"],
                                   f"Instance {i['InstanceId']} is managed by Systems Manager (agent online).",
                                   f"Instance {i['InstanceId']} is registered with Systems Manager but its agent is "
                                   f"{ssm.get('PingStatus')} (last seen {ssm.get('LastPingDateTime')}).", raw, region))
        return findings


class ssm_managed_compliant_patching(RegionalCheck):
    meta = CheckMeta(
        key="ssm_managed_compliant_patching",
        title="Systems Manager managed nodes are patch-compliant",
        provider=Provider.AWS,
        service="ssm",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC7.1"], ["8.8"]),
        rationale="Missing security patches are the most common way known vulnerabilities are exploited; "
                  "Patch Manager's compliance status is the evidence that the patch baseline was applied.",
        remediation="Systems Manager > Patch Manager > Patch now (Scan and install) for the non-compliant nodes, "
                    "and a patch policy or maintenance window to keep them patched; or `aws ssm send-command "
                    "--document-name AWS-RunPatchBaseline --targets Key=InstanceIds,Values=<id> "
                    "--parameters Operation=Install`.",
    )
    collector = "ssm.patch_compliance"

    def evaluate(self, nodes: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for n in nodes:
            raw = {k: n.get(k) for k in ("ResourceId", "ResourceType", "Status", "OverallSeverity", "ExecutionTime",
                                         "NonCompliantCount", "CompliantCount")}
            node = n.get("ResourceId")
            if n.get("Status") == "COMPLIANT":
                findings.append(passed(str(node), f"Managed node {node} is compliant with its patch baseline "
                                                  f"(last scan {n.get('ExecutionTime')}).", raw, region))
            else:
                findings.append(failed(str(node), f"Managed node {node} is not patch-compliant: "
                                                  f"{n.get('NonCompliantCount') or 'some'} patch(es) missing, "
                                                  f"highest severity {n.get('OverallSeverity')}.", raw, region))
        return findings
