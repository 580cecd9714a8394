"""CIS 3.8/3.9: a multi-region trail logs S3 object-level (data) events, reads and writes.

Both selector forms are read:
- basic: a DataResources entry of type AWS::S3::Object whose values cover every bucket
  ("arn:aws:s3" or "arn:aws:s3:::"), with a ReadWriteType including the direction;
- advanced: eventCategory = Data and resources.type = AWS::S3::Object, with readOnly either
  absent or set to the direction, and no other field narrowing it (a resources.ARN prefix
  of all of S3 does not narrow it). A selector limited to some buckets or events does not
  count: the control asks for every bucket.
"""

from __future__ import annotations

from typing import Any, ClassVar

from compliance_app.checks.aws._common import ACCOUNT, MultiRegionCheck, failed, frameworks, passed
from compliance_app.checks.aws.cloudtrail import unique_trails
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity

ALL_BUCKETS = {"arn:aws:s3", "arn:aws:s3:::", "arn:aws-us-gov:s3", "arn:aws-us-gov:s3:::", "arn:aws-cn:s3",
               "arn:aws-cn:s3:::"}
S3_OBJECT = "AWS::S3::Object"


def _basic_covers(selector: dict[str, Any], direction: str) -> bool:
    if selector.get("ReadWriteType", "All") not in ("All", direction):
        return False
    return any(r.get("Type") == S3_OBJECT and ALL_BUCKETS & set(r.get("Values") or [])
               for r in selector.get("DataResources") or [])


def _advanced_covers(selector: dict[str, Any], read_only: str) -> bool:
    fields = {str(f.get("Field", "")): f for f in selector.get("FieldSelectors") or []}
    if (fields.get("eventCategory", {}).get("Equals") != ["Data"]
            or fields.get("resources.type", {}).get("Equals") != [S3_OBJECT]):
        return False
    direction = fields.get("readOnly")
    if direction is not None and direction.get("Equals") != [read_only]:
        return False
    arn = fields.get("resources.ARN")
    if arn is not None and not (set(arn) <= {"Field", "StartsWith"} and ALL_BUCKETS & set(arn["StartsWith"])):
        return False
    return not set(fields) - {"eventCategory", "resources.type", "readOnly", "resources.ARN"}


def logs_s3_data_events(trail: dict[str, Any], direction: str) -> bool:
    """Does the trail log object-level `direction` ("ReadOnly" or "WriteOnly") events of every bucket?"""
    read_only = "true" if direction == "ReadOnly" else "false"
    return (any(_basic_covers(s, direction) for s in trail.get("EventSelectors") or [])
            or any(_advanced_covers(s, read_only) for s in trail.get("AdvancedEventSelectors") or []))


class _S3DataEvents(MultiRegionCheck):
    collector = "cloudtrail.trails"
    direction: ClassVar[str]
    words: ClassVar[str]

    def evaluate(self, by_region: dict[str, Any]) -> list[Finding]:
        trails = [t for t in unique_trails(by_region) if t.get("IsMultiRegionTrail")]
        raw = {"Trails": [{k: t.get(k) for k in ("Name", "IsLogging", "EventSelectors", "AdvancedEventSelectors")}
                          for t in trails]}
        readable = [t for t in trails if t.get("IsLogging") is not None and not t.get("SelectorsError")]
        covering = [t for t in readable if t["IsLogging"] and logs_s3_data_events(t, self.direction)]
        if covering:
            return [passed(ACCOUNT, f"Multi-region trail(s) {', '.join(t['Name'] for t in covering)} log S3 object "
                                    f"{self.words} in every bucket.", raw)]
        unknown = [t for t in trails if t not in readable]
        if unknown:
            reason = unknown[0].get("StatusError") or unknown[0].get("SelectorsError")
            return [Finding(ACCOUNT, EvidenceStatus.ERROR, f"Could not read the event selectors or status of trail "
                                                           f"{unknown[0]['Name']}: {reason}", raw)]
        why = ("no multi-region trail exists" if not trails else
               f"trail(s) {', '.join(t['Name'] for t in trails)} do not log S3 object {self.words} of every bucket "
               f"(or are not logging)")
        return [failed(ACCOUNT, f"S3 object-level {self.words} are not logged: {why}.", raw)]


_REMEDIATION = ("CloudTrail > Trails > <multi-region trail> > Data events > Edit: add data event type S3, log "
                "{selector} for all current and future buckets; or `aws cloudtrail put-event-selectors "
                "--trail-name <trail> --event-selectors '[{{\"ReadWriteType\":\"{rw}\",\"IncludeManagementEvents\":"
                "true,\"DataResources\":[{{\"Type\":\"AWS::S3::Object\",\"Values\":[\"arn:aws:s3\"]}}]}}]'` "
                "(keep the management events the trail already logs).")


class cloudtrail_s3_dataevents_read_enabled(_S3DataEvents):
    meta = CheckMeta(
        key="cloudtrail_s3_dataevents_read_enabled",
        title="CloudTrail logs S3 object-level read events for every bucket",
        provider=Provider.AWS,
        service="cloudtrail",
        severity=Severity.LOW,
        frameworks=frameworks(["CC7.2"], ["8.15"], ["3.9"]),
        rationale="Management events do not say who read which object; after a leak, object-level read "
                  "events are what shows which data was taken and by whom.",
        remediation=_REMEDIATION.format(selector="Read events", rw="All"),
    )
    direction, words = "ReadOnly", "read events"


class cloudtrail_s3_dataevents_write_enabled(_S3DataEvents):
    meta = CheckMeta(
        key="cloudtrail_s3_dataevents_write_enabled",
        title="CloudTrail logs S3 object-level write events for every bucket",
        provider=Provider.AWS,
        service="cloudtrail",
        severity=Severity.LOW,
        frameworks=frameworks(["CC7.2"], ["8.15"], ["3.8"]),
        rationale="Object-level write events record who changed or deleted which object, needed to investigate "
                  "tampering or ransomware and to prove that stored evidence was not altered.",
        remediation=_REMEDIATION.format(selector="Write events", rw="All"),
    )
    direction, words = "WriteOnly", "write events"
