"""Which regions a scan covers: every region the account has enabled, optionally restricted.

`ec2:DescribeRegions(AllRegions=True)` lists each region of the partition with its opt-in
status; "opt-in-not-required" and "opted-in" are the enabled ones. The integration's
regions, when set, only restrict that list. Each remaining region is probed once
(`ec2:DescribeAvailabilityZones`, concurrently): a region the account cannot use (denied
by an organization SCP, not opted in, AuthFailure there) is skipped with the reason, so the
audit says so once instead of every regional check turning into ERROR for it. A denial is
taken as region-specific only when another region answered; when no region answers, the
problem is the credentials or permissions, and the checks report it as ERROR themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from compliance_app.providers.aws.errors import DENIED, NOT_OPTED_IN, code

if TYPE_CHECKING:
    from compliance_app.providers.aws.session import AwsSession

ENABLED_STATUSES = frozenset({"opt-in-not-required", "opted-in"})


@dataclass
class RegionPlan:
    """What a scan covers: regions to scan, regions left out with the reason, and notes."""

    scanned: list[str]
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def plan_regions(session: AwsSession) -> RegionPlan:
    """Discover, restrict and probe the regions of `session` (raises CollectionError if it cannot open)."""
    restriction = session.configured_regions
    plan = RegionPlan(scanned=[])
    try:
        listed = session.client("ec2").describe_regions(AllRegions=True)["Regions"]
    except (ClientError, BotoCoreError) as exc:
        reason = session.describe(exc, "ec2", session.home_region)
        candidates = list(restriction) or [session.home_region]
        scope = "the integration's regions" if restriction else f"only {session.home_region}"
        plan.notes.append(f"Could not list the account's enabled regions ({reason}); scanned {scope}. "
                          f"Grant ec2:DescribeRegions to scan every enabled region.")
    else:
        status = {r["RegionName"]: r.get("OptInStatus", "opt-in-not-required") for r in listed}
        enabled = sorted(r for r, s in status.items() if s in ENABLED_STATUSES)
        candidates = [r for r in restriction if r in enabled] if restriction else enabled
        for region in restriction:
            if region not in status:
                plan.skipped[region] = f"AWS does not list {region} as a region of this account."
            elif region not in enabled:
                plan.skipped[region] = (f"Region {region} is not enabled for this account (not opted in): enable "
                                        f"it in the AWS console or remove it from the integration's regions.")
    probes = session.map_regions(lambda region: _probe(session, region), candidates)
    answered = any(exc is None for exc in probes.values())
    for region in candidates:
        exc = probes[region]
        if exc is not None and answered and _region_unusable(exc):
            plan.skipped[region] = session.describe(exc, "ec2", region)
        else:
            plan.scanned.append(region)
    return plan


def _probe(session: AwsSession, region: str) -> BaseException | None:
    try:
        session.client("ec2", region).describe_availability_zones()
    except (ClientError, BotoCoreError) as exc:
        return exc
    return None


def _region_unusable(exc: BaseException) -> bool:
    """A denial of the region itself, as opposed to throttling or an outage (reported by the checks)."""
    if not isinstance(exc, ClientError):
        return False
    return code(exc) in NOT_OPTED_IN | DENIED | {"AuthFailure"}


def describe_plan(plan: RegionPlan) -> dict[str, Any]:
    """The JSON-able part of coverage() that is about regions."""
    return {"scanned": list(plan.scanned), "skipped": dict(plan.skipped), "notes": list(plan.notes)}
