"""EC2/VPC checks on moto: EBS, snapshots, security groups, IMDSv2, flow logs."""

from __future__ import annotations

import boto3
import pytest

from compliance_app.checks.registry import get_check
from compliance_app.providers.aws import AwsSession
from tests.catalog_cases import covers
from tests.checks_aws.helpers import FAIL, PASS, REGION, evaluate, run, status_of

AMI = "ami-12c6146b"


@pytest.fixture
def ec2(session: AwsSession):
    return boto3.client("ec2", region_name=REGION)


@covers("ec2_ebs_default_encryption", "pass", "fail")
def test_ebs_default_encryption(session: AwsSession, ec2) -> None:
    [off] = run("ec2_ebs_default_encryption", session)
    assert off.status == FAIL and off.resource_id == f"region/{REGION}" and off.region == REGION
    ec2.enable_ebs_encryption_by_default()
    session.close()  # drop the memoized answer, as a new scan would
    [on] = run("ec2_ebs_default_encryption", session)
    assert on.status == PASS


@covers("ec2_ebs_volume_encryption", "pass", "fail")
def test_volume_encryption(session: AwsSession, ec2) -> None:
    good = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1, Encrypted=True)["VolumeId"]
    bad = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)["VolumeId"]
    findings = run("ec2_ebs_volume_encryption", session)
    assert status_of(findings, good) == PASS
    assert status_of(findings, bad) == FAIL


@covers("ec2_ebs_public_snapshot", "pass", "fail")
def test_public_snapshot_fails_private_passes(session: AwsSession, ec2) -> None:
    vol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)["VolumeId"]
    private = ec2.create_snapshot(VolumeId=vol)["SnapshotId"]
    public = ec2.create_snapshot(VolumeId=vol)["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=public, Attribute="createVolumePermission",
                                  OperationType="add", GroupNames=["all"])
    findings = run("ec2_ebs_public_snapshot", session)
    assert status_of(findings, private) == PASS
    assert status_of(findings, public) == FAIL


def test_no_snapshots_is_an_empty_result_that_means_pass(session: AwsSession) -> None:
    assert run("ec2_ebs_public_snapshot", session) == []
    assert get_check("ec2_ebs_public_snapshot").meta.when_empty == PASS


def _sg(ec2, name: str, perms: list[dict]) -> str:
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    gid = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    if perms:
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=perms)
    return gid


def _tcp(port: int, cidr: str = "0.0.0.0/0", to: int | None = None) -> dict:
    rng = {"Ipv6Ranges": [{"CidrIpv6": cidr}]} if ":" in cidr else {"IpRanges": [{"CidrIp": cidr}]}
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": to or port, **rng}


@covers(["ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
         "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389",
         "ec2_securitygroup_allow_ingress_from_internet_to_all_ports"], "pass", "fail")
def test_security_group_internet_ports(session: AwsSession, ec2) -> None:
    ssh = _sg(ec2, "ssh-open", [_tcp(22)])
    rdp6 = _sg(ec2, "rdp-open-v6", [_tcp(3389, "::/0")])
    wide = _sg(ec2, "range-open", [_tcp(0, to=65535)])
    everything = _sg(ec2, "all-open", [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    office = _sg(ec2, "ssh-office", [_tcp(22, "203.0.113.0/24"), _tcp(443)])

    port22 = run("ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22", session)
    assert [status_of(port22, g) for g in (ssh, rdp6, wide, everything, office)] == [FAIL, PASS, FAIL, FAIL, PASS]
    port3389 = run("ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389", session)
    assert [status_of(port3389, g) for g in (ssh, rdp6, office)] == [PASS, FAIL, PASS]
    allports = run("ec2_securitygroup_allow_ingress_from_internet_to_all_ports", session)
    assert [status_of(allports, g) for g in (ssh, wide, everything, office)] == [PASS, FAIL, FAIL, PASS]
    bad = next(f for f in port22 if f.resource_id == ssh)
    assert bad.raw_data["OpenRules"] == [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                          "Sources": ["0.0.0.0/0"]}]


def test_no_security_groups_is_an_empty_result() -> None:
    assert evaluate("ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22", [], REGION) == []


@covers("ec2_securitygroup_default_restrict_traffic", "pass", "fail")
def test_default_security_group_must_be_empty(session: AwsSession, ec2) -> None:
    default = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]
    [f] = run("ec2_securitygroup_default_restrict_traffic", session)
    assert f.status == FAIL and f.resource_id == default["GroupId"]
    ec2.revoke_security_group_egress(GroupId=default["GroupId"], IpPermissions=default["IpPermissionsEgress"])
    if default["IpPermissions"]:
        ec2.revoke_security_group_ingress(GroupId=default["GroupId"], IpPermissions=default["IpPermissions"])
    session.close()
    [f] = run("ec2_securitygroup_default_restrict_traffic", session)
    assert f.status == PASS


@covers("ec2_instance_imdsv2_enabled", "pass", "fail")
def test_imdsv2_required(session: AwsSession, ec2) -> None:
    v2 = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1,
                           MetadataOptions={"HttpTokens": "required"})["Instances"][0]["InstanceId"]
    v1 = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1,
                           MetadataOptions={"HttpTokens": "optional"})["Instances"][0]["InstanceId"]
    findings = run("ec2_instance_imdsv2_enabled", session)
    assert status_of(findings, v2) == PASS
    assert status_of(findings, v1) == FAIL


def test_terminated_instances_are_ignored() -> None:
    data = [{"InstanceId": "i-1", "State": "terminated", "MetadataOptions": {"HttpTokens": "optional"}}]
    assert evaluate("ec2_instance_imdsv2_enabled", data, REGION) == []


@covers("vpc_flow_logs_enabled", "pass", "fail")
def test_vpc_flow_logs(session: AwsSession, ec2) -> None:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="flow-logs-bucket")
    logged = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    unlogged = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    ec2.create_flow_logs(ResourceIds=[logged], ResourceType="VPC", TrafficType="ALL",
                         LogDestinationType="s3", LogDestination="arn:aws:s3:::flow-logs-bucket")
    findings = run("vpc_flow_logs_enabled", session)
    assert status_of(findings, logged) == PASS
    assert status_of(findings, unlogged) == FAIL
