"""EC2 and VPC collectors (regional)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from compliance_app.providers.aws.collectors._registry import collector, paginate

if TYPE_CHECKING:
    from compliance_app.providers.aws.session import AwsSession


@collector("ec2.ebs_default_encryption")
def _ec2_ebs_default(s: AwsSession, region: str) -> dict[str, Any]:
    return {"EbsEncryptionByDefault": s.client("ec2", region).get_ebs_encryption_by_default()["EbsEncryptionByDefault"]}


@collector("ec2.volumes")
def _ec2_volumes(s: AwsSession, region: str) -> list[dict[str, Any]]:
    vols = paginate(s.client("ec2", region), "describe_volumes", "Volumes")
    return [{"VolumeId": v["VolumeId"], "Encrypted": v.get("Encrypted", False), "State": v.get("State")}
            for v in vols]


@collector("ec2.snapshots")
def _ec2_snapshots(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """The account's snapshots; those restorable by everyone carry their createVolumePermission.

    `RestorableByUserIds=["all"]` lets DescribeSnapshots name the public snapshots itself, so
    on AWS one more list call replaces an attribute call per snapshot. Each candidate is still
    confirmed by its attribute (concurrently): an endpoint that ignores the filter (moto
    returns every snapshot) costs the old per-snapshot calls but never reports a private
    snapshot public. A snapshot whose attribute cannot be read carries `__error__`.
    """
    ec2 = s.client("ec2", region)
    # Kept slim page by page: accounts hold thousands of snapshots, each with a dozen fields.
    owned = [{"SnapshotId": x["SnapshotId"], "VolumeId": x.get("VolumeId")}
             for page in ec2.get_paginator("describe_snapshots").paginate(OwnerIds=["self"])
             for x in page.get("Snapshots", [])]
    candidates = [x["SnapshotId"] for page in ec2.get_paginator("describe_snapshots").paginate(
        OwnerIds=["self"], RestorableByUserIds=["all"]) for x in page.get("Snapshots", [])]

    def permissions(snapshot_id: str) -> tuple[str, Any]:
        try:
            attr = ec2.describe_snapshot_attribute(SnapshotId=snapshot_id, Attribute="createVolumePermission")
        except (ClientError, BotoCoreError) as exc:
            return snapshot_id, {"__error__": s.describe(exc, "ec2", region)}
        return snapshot_id, attr.get("CreateVolumePermissions", [])

    confirmed = dict(s.fan_out(permissions, candidates))
    out = []
    for row in owned:
        found = confirmed.get(row["SnapshotId"], [])
        row["CreateVolumePermissions"] = found if isinstance(found, list) else []
        if isinstance(found, dict):
            row["__error__"] = found["__error__"]
        out.append(row)
    return out


@collector("ec2.security_groups")
def _ec2_security_groups(s: AwsSession, region: str) -> list[dict[str, Any]]:
    sgs = paginate(s.client("ec2", region), "describe_security_groups", "SecurityGroups")
    return [{k: sg.get(k) for k in ("GroupId", "GroupName", "VpcId", "IpPermissions", "IpPermissionsEgress")}
            for sg in sgs]


@collector("ec2.instances")
def _ec2_instances(s: AwsSession, region: str) -> list[dict[str, Any]]:
    out = []
    for res in paginate(s.client("ec2", region), "describe_instances", "Reservations"):
        for inst in res.get("Instances", []):
            out.append({"InstanceId": inst["InstanceId"], "State": inst.get("State", {}).get("Name"),
                        "MetadataOptions": inst.get("MetadataOptions", {})})
    return out


@collector("ec2.vpcs_flow_logs")
def _ec2_vpcs_flow_logs(s: AwsSession, region: str) -> list[dict[str, Any]]:
    ec2 = s.client("ec2", region)
    vpcs = paginate(ec2, "describe_vpcs", "Vpcs")
    logs = paginate(ec2, "describe_flow_logs", "FlowLogs")
    by_vpc: dict[str, list[dict[str, Any]]] = {}
    for fl in logs:
        by_vpc.setdefault(fl.get("ResourceId", ""), []).append(
            {"FlowLogId": fl.get("FlowLogId"), "FlowLogStatus": fl.get("FlowLogStatus")})
    return [{"VpcId": v["VpcId"], "IsDefault": v.get("IsDefault", False), "FlowLogs": by_vpc.get(v["VpcId"], [])}
            for v in vpcs]
