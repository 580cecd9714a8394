"""Security groups open to the internet beyond single admin ports: high-risk TCP ports, any port.

Breadth grows from the single admin-port checks (22, 3389: ec2_securitygroups.py) to the
high-risk ports below and to any port but the public web ones; the all-ports check is the
widest. A wider exposure fails every narrower check too, so the broadest counts most.
"""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import frameworks
from compliance_app.checks.aws.ec2_securitygroups import ExposureCheck, internet_sources
from compliance_app.checks.base import CheckMeta
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity

#: TCP ports attacked first when reachable from the internet (file transfer, remote shells and
#: desktops, mail, Windows RPC/SMB, databases, search engines, admin and development consoles),
#: as listed by public scanner catalogs (Prowler, CIS guidance).
HIGH_RISK_TCP_PORTS = (20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000,
                       5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300)
#: TCP ports a public service is expected to open to everyone (AWS Security Hub EC2.18's default).
PUBLIC_WEB_TCP_PORTS = (80, 443)
_TCP = ("tcp", "6")
#: ICMP carries no ports: a ping rule is not "a port open to the internet".
_PORTLESS = ("icmp", "1", "icmpv6", "58")


def _port_range(perm: dict[str, Any]) -> tuple[int, int]:
    """(from, to) of a rule; "-1"/missing ports (all traffic) mean the whole range."""
    lo, hi = perm.get("FromPort"), perm.get("ToPort")
    if str(perm.get("IpProtocol")) == "-1" or lo in (None, -1) or hi in (None, -1):
        return 0, 65535
    return int(lo), int(hi)


def _rule(perm: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"IpProtocol": str(perm.get("IpProtocol")), "FromPort": perm.get("FromPort"),
            "ToPort": perm.get("ToPort"), "Sources": internet_sources(perm), **extra}


def high_risk_exposure(sg: dict[str, Any]) -> list[dict[str, Any]]:
    """Internet ingress rules reaching a high-risk TCP port, each with the ports it exposes."""
    found = []
    for perm in sg.get("IpPermissions") or []:
        proto = str(perm.get("IpProtocol")).lower()
        if not internet_sources(perm) or proto not in (*_TCP, "-1"):
            continue
        lo, hi = _port_range(perm)
        ports = [p for p in HIGH_RISK_TCP_PORTS if lo <= p <= hi]
        if ports:
            found.append(_rule(perm, Ports=ports))
    return found


def any_port_exposure(sg: dict[str, Any]) -> list[dict[str, Any]]:
    """Internet ingress rules opening any port other than tcp 80/443 (any protocol but ICMP)."""
    found = []
    for perm in sg.get("IpPermissions") or []:
        proto = str(perm.get("IpProtocol")).lower()
        if not internet_sources(perm) or proto in _PORTLESS:
            continue
        lo, hi = _port_range(perm)
        if not (proto in _TCP and lo == hi and lo in PUBLIC_WEB_TCP_PORTS):
            found.append(_rule(perm))
    return found


class ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports(ExposureCheck):
    meta = CheckMeta(
        key="ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports",
        title="No security group opens high-risk TCP ports to the internet",
        provider=Provider.AWS,
        service="ec2",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.6"], ["8.20"], ["5.2", "5.3"]),
        rationale="Databases, file shares, remote shells and admin consoles reachable from 0.0.0.0/0 or ::/0 are "
                  "found by internet-wide scans within hours and are a common first step of breaches. Ports "
                  "checked: " + ", ".join(map(str, HIGH_RISK_TCP_PORTS)) + ".",
        remediation="EC2 > Security Groups > <group> > Inbound rules > Edit: remove the 0.0.0.0/0 and ::/0 sources "
                    "of the rules reaching these ports (reach them through a VPN, a bastion with narrow CIDRs, "
                    "SSM Session Manager or a private endpoint), or `aws ec2 revoke-security-group-ingress "
                    "--group-id <id> --protocol tcp --port <port> --cidr 0.0.0.0/0` (and `--ip-permissions` "
                    "with Ipv6Ranges=[{CidrIpv6=::/0}] for IPv6).",
        when_empty=EvidenceStatus.PASS,
    )
    what = "high-risk TCP ports"

    def exposure(self, sg: dict[str, Any]) -> list[dict[str, Any]]:
        return high_risk_exposure(sg)


class ec2_securitygroup_allow_ingress_from_internet_to_any_port(ExposureCheck):
    meta = CheckMeta(
        key="ec2_securitygroup_allow_ingress_from_internet_to_any_port",
        title="No security group opens any port but HTTP/HTTPS to the internet",
        provider=Provider.AWS,
        service="ec2",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.6"], ["8.20"], ["5.2", "5.3"]),
        rationale="Only public web traffic (TCP 80 and 443) should reach a group from 0.0.0.0/0 or ::/0; any "
                  "other port, on any protocol, open to everyone exposes a service that should sit behind a load "
                  "balancer, VPN or narrower source. ICMP carries no port and is not counted.",
        remediation="EC2 > Security Groups > <group> > Inbound rules > Edit: keep 0.0.0.0/0 and ::/0 only on TCP "
                    "80/443 and give every other rule a specific source (a CIDR you own or a security group), or "
                    "`aws ec2 revoke-security-group-ingress --group-id <id> --protocol <proto> --port <port> "
                    "--cidr 0.0.0.0/0`; a rule that must stay open can be accepted as a risk with its reason.",
        when_empty=EvidenceStatus.PASS,
    )
    what = "any port but TCP 80/443"

    def exposure(self, sg: dict[str, Any]) -> list[dict[str, Any]]:
        return any_port_exposure(sg)
