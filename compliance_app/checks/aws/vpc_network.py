"""Network boundaries: network ACLs open to the internet, subnets handing out public IPs."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import INTERNET_CIDRS, RegionalCheck, failed, frameworks, passed, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity

#: The catch-all deny every network ACL ends with; it cannot be changed.
_DEFAULT_RULE = 32767


def deciding_internet_rules(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ingress entries deciding all traffic from 0.0.0.0/0 and from ::/0 (at most one each).

    Network ACL entries are evaluated lowest number first and the first match wins, so for each
    address family the first all-protocol ("-1") entry with the internet as source decides
    whether every port is reachable: an allow opens them all, a deny closes what later rules
    would open. IPv4 and IPv6 are separate: denying 0.0.0.0/0 does not close ::/0.
    """
    ingress = sorted((e for e in entries if not e.get("Egress") and e.get("RuleNumber") != _DEFAULT_RULE),
                     key=lambda e: e.get("RuleNumber", 0))
    deciding: dict[str, dict[str, Any]] = {}
    for entry in ingress:
        source = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock")
        if source in INTERNET_CIDRS and str(entry.get("Protocol")) == "-1":
            deciding.setdefault(source, entry)
    return list(deciding.values())


class ec2_networkacl_allow_ingress_any_port(RegionalCheck):
    meta = CheckMeta(
        key="ec2_networkacl_allow_ingress_any_port",
        title="No network ACL allows all inbound traffic from the internet",
        provider=Provider.AWS,
        service="vpc",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC6.6"], ["8.20"], ["5.1"]),
        rationale="Network ACLs are the subnet-level layer under security groups; allowing every port from "
                  "0.0.0.0/0 or ::/0 leaves a single security-group mistake between a service and the internet.",
        remediation="VPC > Network ACLs > <acl> > Inbound rules > Edit: replace the 'All traffic' allow from "
                    "0.0.0.0/0 (and ::/0) with rules for the ports the subnet serves, or `aws ec2 "
                    "replace-network-acl-entry --network-acl-id <id> --ingress --rule-number <n> --protocol tcp "
                    "--port-range From=443,To=443 --cidr-block 0.0.0.0/0 --rule-action allow`.",
        when_empty=EvidenceStatus.PASS,
    )
    collector = "ec2.network_acls"

    def evaluate(self, acls: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for acl in acls:
            deciding = deciding_internet_rules(acl.get("Entries") or [])
            allows = [r for r in deciding if r.get("RuleAction") == "allow"]
            label = f"{acl['NetworkAclId']} of {acl.get('VpcId')}"
            raw = {"NetworkAclId": acl["NetworkAclId"], "VpcId": acl.get("VpcId"), "IsDefault": acl.get("IsDefault"),
                   "SubnetIds": acl.get("SubnetIds", []), "DecidingRules": deciding}
            if allows:
                how = ", ".join(f"{r.get('CidrBlock') or r.get('Ipv6CidrBlock')} (rule {r.get('RuleNumber')})"
                                for r in allows)
                findings.append(failed(acl["NetworkAclId"], f"Network ACL {label} allows all inbound traffic "
                                                            f"from {how}.", raw, region))
            else:
                findings.append(passed(acl["NetworkAclId"], f"Network ACL {label} does not allow all inbound "
                                                            f"traffic from the internet.", raw, region))
        return findings


class vpc_subnet_no_public_ip_by_default(RegionalCheck):
    meta = CheckMeta(
        key="vpc_subnet_no_public_ip_by_default",
        title="Subnets do not assign public IPs by default",
        provider=Provider.AWS,
        service="vpc",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC6.6"], ["8.20"]),
        rationale="A subnet that auto-assigns public IPv4 addresses puts every instance launched in it on the "
                  "internet unless someone remembers to opt out; public addresses should be a deliberate choice.",
        remediation="VPC > Subnets > <subnet> > Actions > Edit subnet settings > clear 'Enable auto-assign public "
                    "IPv4 address', or `aws ec2 modify-subnet-attribute --subnet-id <id> "
                    "--no-map-public-ip-on-launch`.",
        when_empty=EvidenceStatus.PASS,
    )
    collector = "ec2.subnets"

    def evaluate(self, subnets: list[dict[str, Any]], region: str) -> list[Finding]:
        return [result(not x.get("MapPublicIpOnLaunch"), x["SubnetId"],
                       f"Subnet {x['SubnetId']} of {x.get('VpcId')} does not assign public IPs by default.",
                       f"Subnet {x['SubnetId']} of {x.get('VpcId')} assigns a public IPv4 address to every "
                       f"instance launched in it.",
                       {k: x.get(k) for k in ("SubnetId", "VpcId", "AvailabilityZone", "DefaultForAz",
                                              "MapPublicIpOnLaunch")}, region) for x in subnets]
