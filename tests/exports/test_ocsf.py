"""The OCSF export validated against the Compliance Finding class as OCSF 1.3.0 publishes it.

Nothing is fetched at run time: the attributes below are copied from the schema's 1.3.0
release (events/base_event.json with includes/classification.json and occurrence.json,
events/findings/finding.json, events/findings/compliance_finding.json, profiles/cloud.json,
objects/metadata.json, product.json, finding_info.json, compliance.json, remediation.json,
cloud.json, resource_details.json; enums from dictionary.json).
"""

from __future__ import annotations

import json
from typing import Any

from compliance_app.services import audit_export
from tests.exports.conftest import ACCOUNT
from tests.factories import actor_for
from tests.scans.helpers import evidence_of

#: Compliance Finding (class_uid 2003), "required" in 1.3.0 (own, inherited and included).
REQUIRED = {"activity_id", "category_uid", "class_uid", "type_uid", "time", "severity_id", "metadata",
            "finding_info", "compliance"}
#: Every attribute the class defines (base event, finding, compliance finding, host and cloud
#: profiles); anything else belongs under `unmapped`.
ATTRIBUTES = REQUIRED | {
    "activity_name", "actor", "api", "category_name", "class_name", "cloud", "comment", "confidence",
    "confidence_id", "confidence_score", "count", "device", "duration", "end_time", "enrichments", "message",
    "observables", "osint", "raw_data", "remediation", "resource", "resources", "severity", "start_time", "status",
    "status_code", "status_detail", "status_id", "timezone_offset", "type_name", "unmapped"}
REQUIRED_IN = {"metadata": {"version", "product"}, "finding_info": {"uid", "title"}, "compliance": {"standards"},
               "remediation": {"desc"}, "cloud": {"provider"}}
ALLOWED_IN = {
    "metadata": {"correlation_uid", "event_code", "extension", "extensions", "labels", "log_level", "log_name",
                 "log_provider", "log_version", "logged_time", "loggers", "modified_time", "original_time",
                 "processed_time", "product", "profiles", "sequence", "tenant_uid", "uid", "version"},
    "finding_info": {"analytic", "attacks", "created_time", "data_sources", "desc", "first_seen_time", "kill_chain",
                     "last_seen_time", "modified_time", "product_uid", "related_analytics", "related_events",
                     "src_url", "title", "types", "uid"},
    "compliance": {"compliance_references", "compliance_standards", "control", "requirements", "standards",
                   "status", "status_code", "status_detail", "status_id"},
    "remediation": {"desc", "kb_article_list", "kb_articles", "references"},
    "cloud": {"account", "org", "project_uid", "provider", "region", "zone"},
}
SEVERITY_IDS = {0, 1, 2, 3, 4, 5, 6, 99}
FINDING_STATUS_IDS = {0, 1, 2, 3, 4, 99}  # Unknown, New, In Progress, Suppressed, Resolved, Other
COMPLIANCE_STATUS_IDS = {0, 1, 2, 3, 99}  # Unknown, Pass, Warning, Fail, Other
SEVERITY_OF = {"low": 2, "medium": 3, "high": 4, "critical": 5}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _problems(event: dict[str, Any]) -> list[str]:
    """Every way `event` departs from the 1.3.0 Compliance Finding class (empty: valid)."""
    found = [f"missing {a}" for a in sorted(REQUIRED - set(event))]
    found += [f"not an attribute of the class: {a}" for a in sorted(set(event) - ATTRIBUTES)]
    for obj, required in REQUIRED_IN.items():
        if obj in event:
            found += [f"missing {obj}.{a}" for a in sorted(required - set(event[obj]))]
            found += [f"not an attribute of {obj}: {a}" for a in sorted(set(event[obj]) - ALLOWED_IN[obj])]
    if "cloud" in event and "cloud" not in event["metadata"].get("profiles", []):
        found.append("cloud attribute without the cloud profile in metadata.profiles")
    product = event["metadata"].get("product", {})
    if not product.get("vendor_name") or not (product.get("name") or product.get("uid")):
        found.append("metadata.product needs vendor_name and a name or uid")
    for name in ("activity_id", "category_uid", "class_uid", "type_uid", "time", "severity_id", "status_id"):
        if name in event and not _is_int(event[name]):
            found.append(f"{name} must be an integer, got {event[name]!r}")
    compliance = event.get("compliance", {})
    for name in ("standards", "requirements"):
        if name in compliance and not (isinstance(compliance[name], list)
                                       and all(isinstance(v, str) for v in compliance[name])):
            found.append(f"compliance.{name} must be an array of strings")
    for resource in event.get("resources", []):
        if not (resource.get("uid") or resource.get("name")):
            found.append("a resource needs a uid or a name")
    if event.get("type_uid") != event.get("class_uid", 0) * 100 + event.get("activity_id", 0):
        found.append("type_uid must be class_uid * 100 + activity_id")
    if event.get("severity_id") not in SEVERITY_IDS or event.get("status_id") not in FINDING_STATUS_IDS:
        found.append("severity_id or status_id outside the enum")
    if compliance.get("status_id") not in COMPLIANCE_STATUS_IDS:
        found.append("compliance.status_id outside the enum")
    return found


def test_every_event_is_a_valid_compliance_finding(scanned: tuple) -> None:
    _org, owner, audit = scanned
    events = json.loads(audit_export.export_audit(actor_for(owner), audit.id, "ocsf").body)
    invalid = {e["finding_info"]["uid"]: _problems(e) for e in events if _problems(e)}
    assert not invalid, invalid
    assert {(e["class_uid"], e["category_uid"], e["metadata"]["version"]) for e in events} == {(2003, 2, "1.3.0")}


def test_one_finding_per_evidence_row_plus_one_per_check(scanned: tuple) -> None:
    _org, owner, audit = scanned
    events = json.loads(audit_export.export_audit(actor_for(owner), audit.id, "ocsf").body)
    rows = evidence_of(audit.id)
    per_row = [e for e in events if e["finding_info"]["types"] == ["Evidence"]]
    per_check = {e["compliance"]["control"]: e for e in events if e["finding_info"]["types"] == ["Check result"]}
    assert len(per_row) == len(rows) and len(events) == len(rows) + len(per_check)
    assert set(per_check) == {key for key, _, _ in rows}
    assert per_check["s3_bucket_public_access"]["compliance"]["status_id"] == 3  # Fail

    public = next(e for e in per_row if e["resources"][0]["uid"].endswith("public-reports"))
    [evidence] = [e for key, res, e in rows if key == "s3_bucket_public_access" and res.endswith("public-reports")]
    assert public["time"] == int(evidence.created_at.timestamp() * 1000)  # milliseconds since the epoch
    assert public["time"] > 1_600_000_000_000
    assert public["severity_id"] == SEVERITY_OF["critical"] and public["severity"] == "Critical"
    assert public["status_id"] == 1 and public["status_code"] == "FAIL"
    assert public["compliance"]["status_id"] == 3 and public["compliance"]["status"] == "Fail"
    assert public["compliance"]["control"] == "s3_bucket_public_access"
    assert {"SOC 2", "ISO 27001"} <= set(public["compliance"]["standards"])
    assert "SOC 2 CC6.6" in public["compliance"]["requirements"]
    assert public["cloud"] == {"provider": "AWS", "region": "us-east-1",
                               "account": {"uid": ACCOUNT, "type_id": 10, "type": "AWS Account"}}
    assert json.loads(public["raw_data"]) == evidence.raw_data


def test_status_mappings_cover_every_evidence_status() -> None:
    from compliance_app.models import EvidenceStatus

    for status in EvidenceStatus:
        assert audit_export.OCSF_COMPLIANCE_STATUS[status.value][0] in COMPLIANCE_STATUS_IDS, status
    assert audit_export.OCSF_COMPLIANCE_STATUS["ERROR"] == (2, "Warning")  # no result: missing information
    assert audit_export.OCSF_FINDING_STATUS["RISK_ACCEPTED"] == (3, "Suppressed")
    assert set(audit_export.OCSF_SEVERITY) == set(SEVERITY_OF)
    assert {k: v[0] for k, v in audit_export.OCSF_SEVERITY.items()} == SEVERITY_OF


def test_the_validator_rejects_a_broken_event() -> None:
    broken = {"class_uid": 2003, "activity_id": 1, "type_uid": 1, "time": "yesterday", "severity_id": 7,
              "status_id": 1, "metadata": {"version": "1.3.0", "product": {"name": "x"}}, "finding_info": {"uid": "u"},
              "compliance": {"standards": "SOC 2", "status_id": 5}, "bogus": 1}
    problems = _problems(broken)
    for expected in ("missing category_uid", "missing finding_info.title", "not an attribute of the class: bogus",
                     "time must be an integer", "metadata.product needs vendor_name",
                     "compliance.standards must be an array of strings", "type_uid must be",
                     "severity_id or status_id outside the enum", "compliance.status_id outside the enum"):
        assert any(expected in p for p in problems), (expected, problems)
