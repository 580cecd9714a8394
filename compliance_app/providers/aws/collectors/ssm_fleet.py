"""Systems Manager: managed instances and their patch compliance (regional)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compliance_app.providers.aws.collectors._registry import collector, paginate

if TYPE_CHECKING:
    from compliance_app.providers.aws.session import AwsSession

PATCH_FILTER = [{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}]


@collector("ssm.managed_instances")
def _ssm_managed_instances(s: AwsSession, region: str) -> list[dict[str, Any]]:
    found = paginate(s.client("ssm", region), "describe_instance_information", "InstanceInformationList")
    return [{k: i.get(k) for k in ("InstanceId", "PingStatus", "LastPingDateTime", "PlatformName", "AgentVersion",
                                   "ResourceType")} for i in found]


@collector("ssm.ec2_coverage")
def _ssm_ec2_coverage(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Running EC2 instances, each with its Systems Manager registration (None: not managed).

    A region without a running instance needs no SSM call.
    """
    running = [i for i in s.collect("ec2.instances", region) if i.get("State") == "running"]
    by_id = {m["InstanceId"]: m for m in s.collect("ssm.managed_instances", region)} if running else {}
    return [{"InstanceId": i["InstanceId"], "State": i.get("State"), "Ssm": by_id.get(i["InstanceId"])}
            for i in running]


@collector("ssm.patch_compliance")
def _ssm_patch_compliance(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Patch compliance summary of every managed node (ListResourceComplianceSummaries, type Patch)."""
    found = paginate(s.client("ssm", region), "list_resource_compliance_summaries", "ResourceComplianceSummaryItems",
                     Filters=PATCH_FILTER)
    return [{"ResourceId": c.get("ResourceId"), "ResourceType": c.get("ResourceType"), "Status": c.get("Status"),
             "OverallSeverity": c.get("OverallSeverity"),
             "ExecutionTime": (c.get("ExecutionSummary") or {}).get("ExecutionTime"),
             "NonCompliantCount": (c.get("NonCompliantSummary") or {}).get("NonCompliantCount"),
             "CompliantCount": (c.get("CompliantSummary") or {}).get("CompliantCount")} for c in found]
