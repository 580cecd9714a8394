"""Network-boundary collectors (regional): network ACLs and subnets' public-IP default."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compliance_app.providers.aws.collectors._registry import collector, paginate

if TYPE_CHECKING:
    from compliance_app.providers.aws.session import AwsSession

_ENTRY_KEYS = ("RuleNumber", "Protocol", "RuleAction", "Egress", "CidrBlock", "Ipv6CidrBlock", "PortRange")


@collector("ec2.network_acls")
def _ec2_network_acls(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Every network ACL with its entries (both directions) and the subnets it guards."""
    acls = paginate(s.client("ec2", region), "describe_network_acls", "NetworkAcls")
    return [{"NetworkAclId": a["NetworkAclId"], "VpcId": a.get("VpcId"), "IsDefault": a.get("IsDefault", False),
             "Entries": [{k: e[k] for k in _ENTRY_KEYS if k in e} for e in a.get("Entries", [])],
             "SubnetIds": sorted(x["SubnetId"] for x in a.get("Associations", []) if x.get("SubnetId"))}
            for a in acls]


@collector("ec2.subnets")
def _ec2_subnets(s: AwsSession, region: str) -> list[dict[str, Any]]:
    subnets = paginate(s.client("ec2", region), "describe_subnets", "Subnets")
    return [{k: x.get(k) for k in ("SubnetId", "SubnetArn", "VpcId", "AvailabilityZone", "DefaultForAz",
                                   "MapPublicIpOnLaunch")} for x in subnets]
