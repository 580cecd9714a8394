"""Network exposure checks on moto: internet-open security groups, network ACLs, subnets, AMIs,
and EBS snapshot Block Public Access (not emulated by moto: crafted API data and a Stubber)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from compliance_app.checks.aws.ec2_securitygroups_internet import HIGH_RISK_TCP_PORTS
from compliance_app.checks.registry import get_check
from compliance_app.providers.aws import AwsSession
from compliance_app.vocabulary import CollectionError, Severity
from tests.catalog_cases import covers
from tests.checks_aws.helpers import (
    ERROR,
    FAIL,
    PASS,
    REGION,
    FakeSession,
    break_client,
    client_error,
    evaluate,
    run,
    status_of,
)

HIGH_RISK = "ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports"
ANY_PORT = "ec2_securitygroup_allow_ingress_from_internet_to_any_port"
NACL = "ec2_networkacl_allow_ingress_any_port"
SUBNET = "vpc_subnet_no_public_ip_by_default"
AMI_PUBLIC = "ec2_ami_public"
SNAPSHOT_BPA = "ec2_ebs_snapshot_account_block_public_access"
AMI = "ami-12c6146b"


@pytest.fixture
def ec2(session: AwsSession):
    return boto3.client("ec2", region_name=REGION)


def _sg(ec2, name: str, perms: list[dict]) -> str:
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    gid = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    if perms:
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=perms)
    return gid


def _rule(proto: str, lo: int, hi: int | None = None, cidr: str = "0.0.0.0/0") -> dict:
    rng = {"Ipv6Ranges": [{"CidrIpv6": cidr}]} if ":" in cidr else {"IpRanges": [{"CidrIp": cidr}]}
    return {"IpProtocol": proto, "FromPort": lo, "ToPort": lo if hi is None else hi, **rng}


# -- security groups ---------------------------------------------------------------------
@covers([HIGH_RISK, ANY_PORT], "pass", "fail")
def test_security_groups_open_to_the_internet(session: AwsSession, ec2) -> None:
    web = _sg(ec2, "web", [_rule("tcp", 443), _rule("tcp", 80, cidr="::/0"), _rule("icmp", -1, -1)])
    office_db = _sg(ec2, "office-db", [_rule("tcp", 5432, cidr="203.0.113.0/24")])
    mysql6 = _sg(ec2, "mysql-v6", [_rule("tcp", 3306, cidr="::/0")])
    ranged = _sg(ec2, "ranged", [_rule("tcp", 8000, 8100)])  # covers 8080 and 8088
    app = _sg(ec2, "app-port", [_rule("tcp", 8443)])
    dns = _sg(ec2, "dns-udp", [_rule("udp", 53)])
    everything = _sg(ec2, "all-traffic", [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])

    groups = (web, office_db, mysql6, ranged, app, dns, everything)
    high = run(HIGH_RISK, session)
    assert [status_of(high, g) for g in groups] == [PASS, PASS, FAIL, FAIL, PASS, PASS, FAIL]
    anyp = run(ANY_PORT, session)
    assert [status_of(anyp, g) for g in groups] == [PASS, PASS, FAIL, FAIL, FAIL, FAIL, FAIL]

    ranged_finding = next(f for f in high if f.resource_id == ranged)
    assert ranged_finding.raw_data["OpenRules"] == [{"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8100,
                                                     "Sources": ["0.0.0.0/0"], "Ports": [8080, 8088]}]
    assert "8080, 8088" in ranged_finding.message
    v6 = next(f for f in anyp if f.resource_id == mysql6)
    assert v6.raw_data["OpenRules"][0]["Sources"] == ["::/0"] and v6.region == REGION


def test_high_risk_ports_are_the_published_list() -> None:
    assert HIGH_RISK_TCP_PORTS == (20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333,
                                   5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300)
    assert all(str(p) in get_check(HIGH_RISK).meta.rationale for p in HIGH_RISK_TCP_PORTS)


def test_breadth_orders_severity() -> None:
    """Wider exposure never weighs less: all ports > any port, high-risk ports >= one admin port."""
    order = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
    rank = {key: order.index(get_check(key).meta.severity) for key in (
        "ec2_securitygroup_allow_ingress_from_internet_to_all_ports", ANY_PORT, HIGH_RISK,
        "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22")}
    assert list(rank.values()) == sorted(rank.values(), reverse=True)
    assert rank["ec2_securitygroup_allow_ingress_from_internet_to_all_ports"] > rank[ANY_PORT]


def test_a_wider_group_fails_every_narrower_check(session: AwsSession, ec2) -> None:
    """All traffic from the internet fails the admin-port, high-risk, any-port and all-ports checks alike."""
    everything = _sg(ec2, "wide-open", [{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    for key in ("ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22", HIGH_RISK, ANY_PORT,
                "ec2_securitygroup_allow_ingress_from_internet_to_all_ports"):
        assert status_of(run(key, session), everything) == FAIL, key


@covers([HIGH_RISK, ANY_PORT, NACL, SUBNET, AMI_PUBLIC], "error")
@pytest.mark.parametrize("key", [HIGH_RISK, ANY_PORT, NACL, SUBNET, AMI_PUBLIC])
def test_unreadable_ec2_is_an_error_of_the_region(session: AwsSession, key: str) -> None:
    break_client(session, "ec2", client_error("UnauthorizedOperation", "Describe"))
    [f] = run(key, session)
    assert f.status == ERROR and f.resource_id == f"region/{REGION}"
    assert "Access denied" in f.message and "s3cr3t" not in f.message


def test_no_groups_means_nothing_is_open() -> None:
    assert evaluate(ANY_PORT, [], REGION) == []
    assert get_check(ANY_PORT).meta.when_empty == PASS and get_check(HIGH_RISK).meta.when_empty == PASS


# -- network ACLs --------------------------------------------------------------------------
@covers(NACL, "pass", "fail")
def test_network_acl_allowing_all_inbound_from_the_internet(session: AwsSession, ec2) -> None:
    default = ec2.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
    vpc = default["VpcId"]
    narrow = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=narrow, RuleNumber=100, Protocol="6", RuleAction="allow",
                                 Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 443, "To": 443})
    denied_first = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=denied_first, RuleNumber=50, Protocol="-1", RuleAction="deny",
                                 Egress=False, CidrBlock="0.0.0.0/0")
    ec2.create_network_acl_entry(NetworkAclId=denied_first, RuleNumber=200, Protocol="-1", RuleAction="allow",
                                 Egress=False, CidrBlock="0.0.0.0/0")
    v6_open = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=v6_open, RuleNumber=50, Protocol="-1", RuleAction="deny",
                                 Egress=False, CidrBlock="0.0.0.0/0")  # closes IPv4 only
    ec2.create_network_acl_entry(NetworkAclId=v6_open, RuleNumber=100, Protocol="-1", RuleAction="allow",
                                 Egress=False, Ipv6CidrBlock="::/0")

    findings = run(NACL, session)
    assert status_of(findings, default["NetworkAclId"]) == FAIL  # AWS's default ACL allows everything in
    assert status_of(findings, narrow) == PASS
    assert status_of(findings, denied_first) == PASS  # rule 50 denies before rule 200 allows
    bad = next(f for f in findings if f.resource_id == v6_open)
    assert bad.status == FAIL and bad.message.endswith("from ::/0 (rule 100).")
    assert [r["RuleAction"] for r in bad.raw_data["DecidingRules"]] == ["deny", "allow"]


def test_egress_and_private_sources_do_not_count() -> None:
    acl = {"NetworkAclId": "acl-1", "VpcId": "vpc-1", "Entries": [
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": True, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 110, "Protocol": "-1", "RuleAction": "allow", "Egress": False, "CidrBlock": "10.0.0.0/8"},
        {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": False, "CidrBlock": "0.0.0.0/0"}]}
    [f] = evaluate(NACL, [acl], REGION)
    assert f.status == PASS and f.raw_data["DecidingRules"] == []


# -- subnets ------------------------------------------------------------------------------------
@covers(SUBNET, "pass", "fail")
def test_subnets_assigning_public_ips(session: AwsSession, ec2) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": True})
    findings = run(SUBNET, session)
    assert status_of(findings, private) == PASS
    bad = next(f for f in findings if f.resource_id == public)
    assert bad.status == FAIL and bad.raw_data["MapPublicIpOnLaunch"] is True


# -- AMIs --------------------------------------------------------------------------------------
@covers(AMI_PUBLIC, "pass", "fail")
def test_public_ami_fails_private_passes(session: AwsSession, ec2) -> None:
    instance = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    private = ec2.create_image(InstanceId=instance, Name="private-image")["ImageId"]
    public = ec2.create_image(InstanceId=instance, Name="public-image")["ImageId"]
    ec2.modify_image_attribute(ImageId=public, LaunchPermission={"Add": [{"Group": "all"}]})
    findings = run(AMI_PUBLIC, session)
    assert status_of(findings, private) == PASS
    assert status_of(findings, public) == FAIL
    assert {f.resource_id for f in findings} == {private, public}  # only the account's own images


def test_no_images_means_nothing_is_public(session: AwsSession) -> None:
    assert run(AMI_PUBLIC, session) == []
    assert get_check(AMI_PUBLIC).meta.when_empty == PASS


# -- EBS snapshot Block Public Access (moto 5.2 does not implement the API) ----------------------
@covers(SNAPSHOT_BPA, "pass", "fail")
@pytest.mark.parametrize(("state", "expected"), [("block-all-sharing", PASS), ("block-new-sharing", FAIL),
                                                 ("unblocked", FAIL)])
def test_snapshot_block_public_access_states(state: str, expected) -> None:
    session = FakeSession({"ec2.snapshot_block_public_access": {"State": state}}, regions=(REGION, "eu-west-1"))
    findings = run(SNAPSHOT_BPA, session)
    assert [(f.resource_id, f.status, f.region) for f in findings] == [
        (f"region/{REGION}", expected, REGION), ("region/eu-west-1", expected, "eu-west-1")]
    assert findings[0].raw_data == {"State": state}


@covers(SNAPSHOT_BPA, "error")
def test_snapshot_block_public_access_unreadable_or_unknown_is_an_error() -> None:
    session = FakeSession({("ec2.snapshot_block_public_access", REGION): CollectionError("Access denied calling "
                                                                                        "ec2:GetSnapshotBlock..."),
                           ("ec2.snapshot_block_public_access", "eu-west-1"): {"State": "something-new"}},
                          regions=(REGION, "eu-west-1"))
    denied, unknown = run(SNAPSHOT_BPA, session)
    assert (denied.status, denied.resource_id) == (ERROR, f"region/{REGION}") and "Access denied" in denied.message
    assert unknown.status == ERROR and "unknown state 'something-new'" in unknown.message


def test_snapshot_block_public_access_collector_reads_the_api(session: AwsSession) -> None:
    """The collector's call and parsing, against botocore's model of the API (moto lacks it)."""
    session.boto_session()
    client = session.client("ec2", REGION)
    with Stubber(client) as stub:
        stub.add_response("get_snapshot_block_public_access_state", {"State": "block-new-sharing"}, {})
        [f] = run(SNAPSHOT_BPA, session)
        stub.assert_no_pending_responses()
    assert (f.status, f.raw_data) == (FAIL, {"State": "block-new-sharing"})
    assert "only new public sharing" in f.message


def test_snapshot_block_public_access_denied_by_the_api(session: AwsSession) -> None:
    break_client(session, "ec2", client_error("UnauthorizedOperation", "GetSnapshotBlockPublicAccessState"))
    [f] = run(SNAPSHOT_BPA, session)
    assert f.status == ERROR and "GetSnapshotBlockPublicAccessState" in f.message
