"""EBS: encryption by default, encrypted volumes, no public snapshots."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import RegionalCheck, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity


class ec2_ebs_default_encryption(RegionalCheck):
    meta = CheckMeta(
        key="ec2_ebs_default_encryption",
        title="EBS encryption by default is enabled",
        provider=Provider.AWS,
        service="ec2",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC6.7"], ["8.24"], ["2.2.1"]),
        rationale="With the regional default on, every new volume and snapshot copy is encrypted without "
                  "anyone having to remember it.",
        remediation="EC2 > Settings > Data protection and security > EBS encryption > Manage > Enable (per region), "
                    "or `aws ec2 enable-ebs-encryption-by-default --region <region>`.",
    )
    collector = "ec2.ebs_default_encryption"

    def evaluate(self, data: dict[str, Any], region: str) -> list[Finding]:
        on = bool(data.get("EbsEncryptionByDefault"))
        return [result(on, f"region/{region}", f"EBS encryption by default is on in {region}.",
                       f"EBS encryption by default is off in {region}.", data, region)]


class ec2_ebs_volume_encryption(RegionalCheck):
    meta = CheckMeta(
        key="ec2_ebs_volume_encryption",
        title="EBS volumes are encrypted",
        provider=Provider.AWS,
        service="ec2",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC6.7"], ["8.24"], ["2.2.1"]),
        rationale="Encryption at rest protects data on disks, their snapshots and copies.",
        remediation="Existing volumes cannot be encrypted in place: snapshot the volume, "
                    "`aws ec2 copy-snapshot --encrypted ...`, create a volume from the encrypted snapshot and swap "
                    "it in; turn on EBS encryption by default for new volumes.",
    )
    collector = "ec2.volumes"

    def evaluate(self, volumes: list[dict[str, Any]], region: str) -> list[Finding]:
        return [result(bool(v.get("Encrypted")), v["VolumeId"], f"Volume {v['VolumeId']} is encrypted.",
                       f"Volume {v['VolumeId']} is not encrypted.",
                       {"VolumeId": v["VolumeId"], "Encrypted": v.get("Encrypted")}, region) for v in volumes]


class ec2_ebs_public_snapshot(RegionalCheck):
    meta = CheckMeta(
        key="ec2_ebs_public_snapshot",
        title="No EBS snapshot is shared publicly",
        provider=Provider.AWS,
        service="ec2",
        severity=Severity.CRITICAL,
        frameworks=frameworks(["CC6.6"], ["8.3"]),
        rationale="Anyone can create a volume from a public snapshot and read the whole disk.",
        remediation="EC2 > Snapshots > <snapshot> > Actions > Modify permissions > Private, or "
                    "`aws ec2 modify-snapshot-attribute --snapshot-id <id> --attribute createVolumePermission "
                    "--operation-type remove --group-names all`.",
        when_empty=EvidenceStatus.PASS,
    )
    collector = "ec2.snapshots"

    def evaluate(self, snapshots: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for s in snapshots:
            if s.get("__error__"):  # its permissions could not be read (e.g. still throttled after retries)
                findings.append(Finding.error(s["SnapshotId"], s["__error__"], region=region))
                continue
            public = any(p.get("Group") == "all" for p in s.get("CreateVolumePermissions", []))
            findings.append(result(not public, s["SnapshotId"], f"Snapshot {s['SnapshotId']} is not public.",
                                   f"Snapshot {s['SnapshotId']} is shared with everyone.",
                                   {"SnapshotId": s["SnapshotId"],
                                    "CreateVolumePermissions": s.get("CreateVolumePermissions", [])}, region))
        return findings
