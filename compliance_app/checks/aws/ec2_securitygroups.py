"""Security groups: no admin ports or all ports open to the internet; default groups empty."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import INTERNET_CIDRS, RegionalCheck, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity


def internet_sources(perm: dict[str, Any]) -> list[str]:
    v4 = [r.get("CidrIp") for r in perm.get("IpRanges", [])]
    v6 = [r.get("CidrIpv6") for r in perm.get("Ipv6Ranges", [])]
    return [c for c in v4 + v6 if c in INTERNET_CIDRS]


def open_rules(sg: dict[str, Any], port: int | None) -> list[dict[str, Any]]:
    """Ingress rules open to 0.0.0.0/0 or ::/0 covering tcp `port` (None: all ports)."""
    found = []
    for perm in sg.get("IpPermissions") or []:
        if not internet_sources(perm):
            continue
        proto = str(perm.get("IpProtocol"))
        lo, hi = perm.get("FromPort"), perm.get("ToPort")
        if proto == "-1":
            hit = True
        elif port is None:
            hit = proto in ("tcp", "udp", "6", "17") and lo in (0, -1, None) and hi in (65535, -1, None)
        else:
            hit = proto in ("tcp", "6") and lo is not None and hi is not None and lo <= port <= hi
        if hit:
            found.append({"IpProtocol": proto, "FromPort": lo, "ToPort": hi, "Sources": internet_sources(perm)})
    return found


class ExposureCheck(RegionalCheck):
    """One finding per security group from `exposure`, the group's internet ingress rules this check
    forbids. Every internet-exposure check shares it, so they word and prove findings alike; the
    message names the exposed ports when the rules list them (`Ports`)."""

    collector = "ec2.security_groups"
    what = ""

    def exposure(self, sg: dict[str, Any]) -> list[dict[str, Any]]:  # pragma: no cover - interface
        raise NotImplementedError

    def evaluate(self, groups: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for sg in groups:
            rules = self.exposure(sg)
            label = f"{sg['GroupId']} ({sg.get('GroupName')})"
            ports = sorted({p for r in rules for p in r.get("Ports", ())})
            detail = f": {', '.join(map(str, ports))}" if ports else ""
            findings.append(result(not rules, sg["GroupId"],
                                   f"Security group {label} does not open {self.what} to the internet.",
                                   f"Security group {label} opens {self.what} to the internet{detail}.",
                                   {"GroupId": sg["GroupId"], "GroupName": sg.get("GroupName"),
                                    "VpcId": sg.get("VpcId"), "OpenRules": rules}, region))
        return findings


class _OpenPortCheck(ExposureCheck):
    """A single TCP admin port (`port`), or every port (None)."""

    port: int | None = None

    @property
    def what(self) -> str:  # type: ignore[override]
        return f"port {self.port}" if self.port else "all ports"

    def exposure(self, sg: dict[str, Any]) -> list[dict[str, Any]]:
        return open_rules(sg, self.port)


_SG_REMEDIATION = ("EC2 > Security Groups > <group> > Inbound rules > Edit: remove the 0.0.0.0/0 and ::/0 sources "
                   "for {what} (use a VPN, bastion with narrow CIDRs, or SSM Session Manager), or "
                   "`aws ec2 revoke-security-group-ingress --group-id <id> --protocol tcp --port {port} "
                   "--cidr 0.0.0.0/0`.")


class ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22(_OpenPortCheck):
    meta = CheckMeta(
        key="ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
        title="No security group opens SSH (22) to the internet",
        provider=Provider.AWS,
        service="ec2",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.6"], ["8.20"], ["5.2", "5.3"]),
        rationale="SSH open to the world is scanned and brute-forced constantly.",
        remediation=_SG_REMEDIATION.format(what="port 22", port=22),
        when_empty=EvidenceStatus.PASS,
    )
    port = 22


class ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389(_OpenPortCheck):
    meta = CheckMeta(
        key="ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389",
        title="No security group opens RDP (3389) to the internet",
        provider=Provider.AWS,
        service="ec2",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.6"], ["8.20"], ["5.2", "5.3"]),
        rationale="RDP exposed to the internet is a leading ransomware entry point.",
        remediation=_SG_REMEDIATION.format(what="port 3389", port=3389),
        when_empty=EvidenceStatus.PASS,
    )
    port = 3389


class ec2_securitygroup_allow_ingress_from_internet_to_all_ports(_OpenPortCheck):
    meta = CheckMeta(
        key="ec2_securitygroup_allow_ingress_from_internet_to_all_ports",
        title="No security group opens all ports to the internet",
        provider=Provider.AWS,
        service="ec2",
        severity=Severity.CRITICAL,
        frameworks=frameworks(["CC6.6"], ["8.20"], ["5.2", "5.3"]),
        rationale="A group open on every port exposes every service on the instance, including ones "
                  "never meant to be reachable.",
        remediation=("EC2 > Security Groups > <group> > Inbound rules > Edit: replace the all-traffic / 0-65535 rule "
                     "from 0.0.0.0/0 or ::/0 with the specific ports and sources needed, or "
                     "`aws ec2 revoke-security-group-ingress --group-id <id> --protocol -1 --cidr 0.0.0.0/0`."),
        when_empty=EvidenceStatus.PASS,
    )
    port = None


class ec2_securitygroup_default_restrict_traffic(RegionalCheck):
    meta = CheckMeta(
        key="ec2_securitygroup_default_restrict_traffic",
        title="Default security groups have no rules",
        provider=Provider.AWS,
        service="ec2",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC6.6"], ["8.20"], ["5.4"]),
        rationale="Resources land in the default group when nobody chose one; with no rules it denies "
                  "all traffic instead of silently allowing it.",
        remediation="EC2 > Security Groups > default (each VPC) > delete every inbound and outbound rule, or "
                    "`aws ec2 revoke-security-group-ingress/egress --group-id <id> --ip-permissions ...`; "
                    "put resources in purpose-made groups instead.",
    )
    collector = "ec2.security_groups"

    def evaluate(self, groups: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for sg in groups:
            if sg.get("GroupName") != "default":
                continue
            ingress, egress = sg.get("IpPermissions") or [], sg.get("IpPermissionsEgress") or []
            findings.append(result(not ingress and not egress, sg["GroupId"],
                                   f"Default security group {sg['GroupId']} of {sg.get('VpcId')} has no rules.",
                                   f"Default security group {sg['GroupId']} of {sg.get('VpcId')} has "
                                   f"{len(ingress)} inbound and {len(egress)} outbound rule(s).",
                                   {"GroupId": sg["GroupId"], "VpcId": sg.get("VpcId"),
                                    "IpPermissions": ingress, "IpPermissionsEgress": egress}, region))
        return findings
