"""S3 Object Lock."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import AwsCheck, attr_error, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity


class s3_bucket_object_lock(AwsCheck):
    meta = CheckMeta(
        key="s3_bucket_object_lock",
        title="S3 buckets have Object Lock enabled",
        provider=Provider.AWS,
        service="s3",
        severity=Severity.LOW,
        frameworks=frameworks(["A1.2"], ["8.13"]),
        rationale="Object Lock keeps object versions from being deleted or overwritten for a retention period "
                  "(write once, read many), so backups and logs survive ransomware or a compromised account.",
        remediation="S3 > Buckets > <bucket> > Properties > Object Lock > Edit > Enable (versioning must be on), "
                    "or `aws s3api put-object-lock-configuration --bucket <bucket> --object-lock-configuration "
                    "'{\"ObjectLockEnabled\":\"Enabled\"}'`; add a default retention rule where the data requires it.",
    )
    collectors = ("s3.object_lock",)

    def evaluate(self, buckets: list[dict[str, Any]]) -> list[Finding]:
        findings = []
        for b in buckets:
            resource, region = f"arn:aws:s3:::{b['Name']}", b.get("Region")
            if err := attr_error(b):
                findings.append(Finding.error(resource, f"Bucket {b['Name']}: {err}", region))
                continue
            config = b.get("ObjectLockConfiguration") or {}
            on = config.get("ObjectLockEnabled") == "Enabled"
            retention = (config.get("Rule") or {}).get("DefaultRetention")
            findings.append(result(on, resource,
                                   f"Bucket {b['Name']} has Object Lock enabled"
                                   + (f" (default retention {retention})." if retention else "."),
                                   f"Bucket {b['Name']} does not have Object Lock enabled.",
                                   {"Bucket": b["Name"], "ObjectLockConfiguration": config,
                                    "Versioning": b.get("Versioning")}, region))
        return findings
