"""Collectors for what an account shares beyond itself (regional): its AMIs, snapshot public access."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compliance_app.providers.aws.collectors._registry import collector, paginate

if TYPE_CHECKING:
    from compliance_app.providers.aws.session import AwsSession


@collector("ec2.images")
def _ec2_images(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """The account's own AMIs; DescribeImages states `Public` itself, so no per-image call is needed."""
    images = paginate(s.client("ec2", region), "describe_images", "Images", Owners=["self"])
    return [{k: i.get(k) for k in ("ImageId", "Name", "Public", "State")} for i in images]


@collector("ec2.snapshot_block_public_access")
def _ec2_snapshot_bpa(s: AwsSession, region: str) -> dict[str, Any]:
    """The region's EBS snapshot Block Public Access state: block-all-sharing, block-new-sharing or unblocked."""
    return {"State": s.client("ec2", region).get_snapshot_block_public_access_state().get("State")}
