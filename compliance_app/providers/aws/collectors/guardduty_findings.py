"""GuardDuty's open high-severity findings per detector (regional)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from compliance_app.providers.aws.collectors._registry import collector

if TYPE_CHECKING:
    from compliance_app.providers.aws.session import AwsSession

#: GuardDuty's "High" band starts at 7.0 (7.0-8.9 high, 9.0-10.0 critical).
HIGH_SEVERITY = 7
#: Enough ids to count and show; a detector with more says "at least" this many.
MAX_IDS = 500
#: Findings described in the evidence (GetFindings takes up to 50 ids).
SAMPLE = 10
OPEN_HIGH = {"Criterion": {"severity": {"GreaterThanOrEqual": HIGH_SEVERITY},
                           "service.archived": {"Equals": ["false"]}}}


@collector("guardduty.high_findings")
def _guardduty_high_findings(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Each detector with the ids of its open (unarchived) findings of severity >= 7 and a sample of them."""
    gd = s.client("guardduty", region)

    def one(detector: dict[str, Any]) -> dict[str, Any]:
        ids: list[str] = []
        params: dict[str, Any] = {"DetectorId": detector["DetectorId"], "FindingCriteria": OPEN_HIGH,
                                  "MaxResults": 50}
        while len(ids) < MAX_IDS:
            page = gd.list_findings(**params)
            ids.extend(page.get("FindingIds", []))
            if not page.get("NextToken"):
                break
            params["NextToken"] = page["NextToken"]
        sample = []
        if ids:
            found = gd.get_findings(DetectorId=detector["DetectorId"], FindingIds=ids[:SAMPLE]).get("Findings", [])
            sample = [{k: f.get(k) for k in ("Id", "Type", "Title", "Severity", "UpdatedAt")}
                      | {"ResourceType": (f.get("Resource") or {}).get("ResourceType")} for f in found]
        return {**detector, "HighFindingIds": ids[:MAX_IDS], "Truncated": len(ids) >= MAX_IDS, "Sample": sample}

    return s.fan_out(one, s.collect("guardduty.detectors", region))
