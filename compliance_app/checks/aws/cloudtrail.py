"""CloudTrail: multi-region logging, log integrity, encryption and a private log bucket."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import (
    MultiRegionCheck,
    RegionalCheck,
    bucket_exposure,
    failed,
    frameworks,
    passed,
    result,
)
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity


def unique_trails(by_region: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """A multi-region trail is visible from every region; judge it once."""
    seen: dict[str, dict[str, Any]] = {}
    for trails in by_region.values():
        for t in trails:
            seen.setdefault(t["TrailARN"], t)
    return [seen[k] for k in sorted(seen)]


def logs_all_management_events(trail: dict[str, Any]) -> bool:
    """Does the trail record every management event (reads and writes)?

    Basic selectors: one with IncludeManagementEvents and ReadWriteType All. Advanced
    selectors: one selecting eventCategory = Management without narrowing readOnly or the
    event source. A trail without any selector is AWS's default, which logs all
    management events. A data-events-only trail logs none of them.
    """
    basic, advanced = trail.get("EventSelectors") or [], trail.get("AdvancedEventSelectors") or []
    if not basic and not advanced:
        return True
    if any(sel.get("IncludeManagementEvents", True) and sel.get("ReadWriteType", "All") == "All" for sel in basic):
        return True
    for sel in advanced:
        fields = {str(f.get("Field", "")).lower(): f for f in sel.get("FieldSelectors", [])}
        category = fields.get("eventcategory", {})
        if "Management" in category.get("Equals", []) and not {"readonly", "eventsource"} & set(fields):
            return True
    return False


class cloudtrail_multi_region_enabled(RegionalCheck):
    meta = CheckMeta(
        key="cloudtrail_multi_region_enabled",
        title="A multi-region CloudTrail trail is logging all management events",
        provider=Provider.AWS,
        service="cloudtrail",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC7.2"], ["8.15"], ["3.1"]),
        rationale="Without a trail recording every management event in every region, API activity in an "
                  "unused region (a favourite of attackers) leaves no record; a trail that logs only data "
                  "events records object reads but not who changed IAM, networks or the trail itself.",
        remediation="CloudTrail > Trails > Create trail (it is multi-region by default), or "
                    "`aws cloudtrail create-trail --name org-trail --s3-bucket-name <bucket> --is-multi-region-trail` "
                    "then `aws cloudtrail start-logging --name org-trail`; make sure its event selectors log "
                    "management events, read and write (`aws cloudtrail put-event-selectors --trail-name org-trail "
                    "--event-selectors '[{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}]'`).",
    )
    collector = "cloudtrail.trails"

    def evaluate(self, trails: list[dict[str, Any]], region: str) -> list[Finding]:
        multi = [t for t in trails if t.get("IsMultiRegionTrail")]
        readable = [t for t in multi if t.get("IsLogging") is not None and not t.get("SelectorsError")]
        covering = [t for t in readable if t["IsLogging"] and logs_all_management_events(t)]
        raw = {"Trails": [{k: t.get(k) for k in ("Name", "IsMultiRegionTrail", "IsLogging", "EventSelectors",
                                                 "AdvancedEventSelectors")} for t in trails]}
        if covering:
            return [passed(f"region/{region}", f"Region {region} is covered by logging multi-region trail(s) "
                           f"{', '.join(t['Name'] for t in covering)} recording all management events.",
                           raw, region)]
        unknown = [t for t in multi if t not in readable]
        if unknown:
            reason = unknown[0].get("StatusError") or unknown[0].get("SelectorsError")
            return [Finding(f"region/{region}", EvidenceStatus.ERROR,
                            f"Could not read whether multi-region trail {unknown[0]['Name']} logs management "
                            f"events: {reason}", raw, region)]
        if any(t["IsLogging"] for t in readable):
            message = (f"The multi-region trail(s) covering {region} do not record all management events "
                       f"(only data events, or only reads or writes).")
        else:
            message = f"No logging multi-region CloudTrail trail covers region {region}."
        return [failed(f"region/{region}", message, raw, region)]


class cloudtrail_log_file_validation_enabled(MultiRegionCheck):
    meta = CheckMeta(
        key="cloudtrail_log_file_validation_enabled",
        title="Every CloudTrail trail validates its log files",
        provider=Provider.AWS,
        service="cloudtrail",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC7.2"], ["8.15"], ["3.2"]),
        rationale="Digest files prove that delivered logs were not altered or deleted afterwards.",
        remediation="CloudTrail > Trails > <trail> > Edit > enable 'Log file validation', or "
                    "`aws cloudtrail update-trail --name <trail> --enable-log-file-validation`.",
    )
    collector = "cloudtrail.trails"

    def evaluate(self, by_region: dict[str, Any]) -> list[Finding]:
        return [result(bool(t.get("LogFileValidationEnabled")), t["TrailARN"],
                       f"Trail {t['Name']} validates log files.", f"Trail {t['Name']} does not validate log files.",
                       {"Name": t["Name"], "LogFileValidationEnabled": t.get("LogFileValidationEnabled")},
                       t.get("HomeRegion")) for t in unique_trails(by_region)]


class cloudtrail_kms_encryption_enabled(MultiRegionCheck):
    meta = CheckMeta(
        key="cloudtrail_kms_encryption_enabled",
        title="Every CloudTrail trail is encrypted with a KMS key",
        provider=Provider.AWS,
        service="cloudtrail",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC6.7"], ["8.24"], ["3.5"]),
        rationale="SSE-KMS adds a key policy between the log bucket and its readers, and every decrypt is "
                  "itself logged.",
        remediation="CloudTrail > Trails > <trail> > Edit > Log file SSE-KMS encryption: enable and choose a key, "
                    "or `aws cloudtrail update-trail --name <trail> --kms-key-id <key-arn>`.",
    )
    collector = "cloudtrail.trails"

    def evaluate(self, by_region: dict[str, Any]) -> list[Finding]:
        return [result(bool(t.get("KmsKeyId")), t["TrailARN"], f"Trail {t['Name']} is encrypted with KMS.",
                       f"Trail {t['Name']} is not encrypted with a KMS key.",
                       {"Name": t["Name"], "KmsKeyId": t.get("KmsKeyId")}, t.get("HomeRegion"))
                for t in unique_trails(by_region)]


class cloudtrail_logs_s3_bucket_is_not_publicly_accessible(MultiRegionCheck):
    meta = CheckMeta(
        key="cloudtrail_logs_s3_bucket_is_not_publicly_accessible",
        title="CloudTrail log buckets are not public",
        provider=Provider.AWS,
        service="cloudtrail",
        severity=Severity.CRITICAL,
        frameworks=frameworks(["CC7.2"], ["8.15"]),
        rationale="Public trail logs expose the account's whole activity history to anyone and help "
                  "attackers map it.",
        remediation="S3 > <bucket> > Permissions: turn on all four Block Public Access settings, remove "
                    "AllUsers/AuthenticatedUsers grants and public policy statements; or "
                    "`aws s3api put-public-access-block --bucket <bucket> --public-access-block-configuration "
                    "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true`.",
    )
    collector = "cloudtrail.trails"
    extra = ("s3.buckets",)
    optional = ("s3.account_public_access_block",)

    def evaluate(self, by_region: dict[str, Any], buckets: list[dict[str, Any]],
                 account: dict[str, Any]) -> list[Finding]:
        by_name = {b["Name"]: b for b in buckets}
        findings = []
        for t in unique_trails(by_region):
            name = t.get("S3BucketName")
            bucket = by_name.get(name)
            if bucket is None:
                findings.append(Finding(t["TrailARN"], EvidenceStatus.ERROR,
                                        f"Log bucket {name} of trail {t['Name']} is not in this account; check it "
                                        f"in the account that owns it.", {"Name": t["Name"], "S3BucketName": name}))
                continue
            reasons, error = bucket_exposure(bucket, account)
            if error:
                findings.append(Finding.error(t["TrailARN"], f"Could not read log bucket {name}: {error}"))
                continue
            findings.append(result(not reasons, t["TrailARN"],
                                   f"Log bucket {name} of trail {t['Name']} is not public.",
                                   f"Log bucket {name} of trail {t['Name']} is public: {'; '.join(reasons)}.",
                                   {"Name": t["Name"], "S3BucketName": name, "Grants": bucket.get("Grants"),
                                    "PolicyStatus": bucket.get("PolicyStatus"),
                                    "PublicAccessBlock": bucket.get("PublicAccessBlock")}, t.get("HomeRegion")))
        return findings
