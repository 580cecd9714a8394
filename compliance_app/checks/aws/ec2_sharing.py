"""What the account shares with everyone: EBS snapshot Block Public Access, public AMIs."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import RegionalCheck, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity

#: block-new-sharing stops new public shares but leaves snapshots already public as they are.
_SNAPSHOT_BPA_STATES = {
    "block-all-sharing": "blocks all public sharing of EBS snapshots",
    "block-new-sharing": "blocks only new public sharing (snapshots already public stay public)",
    "unblocked": "does not block public sharing of EBS snapshots",
}


class ec2_ebs_snapshot_account_block_public_access(RegionalCheck):
    meta = CheckMeta(
        key="ec2_ebs_snapshot_account_block_public_access",
        title="EBS snapshot Block Public Access blocks all sharing",
        provider=Provider.AWS,
        service="ec2",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.6"], ["8.3"]),
        rationale="With the regional switch on 'block all sharing', no snapshot in the region can be made "
                  "public, by mistake or by an attacker, and any snapshot already public stops being so.",
        remediation="EC2 > Settings > Data protection and security > Block public access for EBS snapshots > "
                    "Manage > Block all public access (per region), or `aws ec2 "
                    "enable-snapshot-block-public-access --state block-all-sharing --region <region>`.",
    )
    collector = "ec2.snapshot_block_public_access"

    def evaluate(self, data: dict[str, Any], region: str) -> list[Finding]:
        state = data.get("State")
        resource = f"region/{region}"
        if state not in _SNAPSHOT_BPA_STATES:
            return [Finding.error(resource, f"EBS snapshot Block Public Access in {region} returned an unknown "
                                            f"state {state!r}.", region)]
        return [result(state == "block-all-sharing", resource,
                       f"EBS snapshot Block Public Access in {region} {_SNAPSHOT_BPA_STATES[state]}.",
                       f"EBS snapshot Block Public Access in {region} {_SNAPSHOT_BPA_STATES[state]}.",
                       {"State": state}, region)]


class ec2_ami_public(RegionalCheck):
    meta = CheckMeta(
        key="ec2_ami_public",
        title="No AMI owned by the account is public",
        provider=Provider.AWS,
        service="ec2",
        severity=Severity.CRITICAL,
        frameworks=frameworks(["CC6.6"], ["8.3"]),
        rationale="Anyone can launch a public AMI and read its disks: baked-in code, configuration, keys and "
                  "data leak with it.",
        remediation="EC2 > AMIs > <image> > Actions > Edit AMI permissions > Private, or `aws ec2 "
                    "modify-image-attribute --image-id <ami-id> --launch-permission "
                    "\"Remove=[{Group=all}]\"`; `aws ec2 enable-image-block-public-access "
                    "--image-block-public-access-state block-new-sharing` stops new public AMIs.",
        when_empty=EvidenceStatus.PASS,
    )
    collector = "ec2.images"

    def evaluate(self, images: list[dict[str, Any]], region: str) -> list[Finding]:
        return [result(not i.get("Public"), i["ImageId"], f"AMI {i['ImageId']} ({i.get('Name')}) is private.",
                       f"AMI {i['ImageId']} ({i.get('Name')}) is public: anyone can launch it.",
                       {"ImageId": i["ImageId"], "Name": i.get("Name"), "Public": bool(i.get("Public"))}, region)
                for i in images]
