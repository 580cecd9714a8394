"""S3: Block Public Access (account and bucket), public buckets, TLS-only, versioning, access logs."""

from __future__ import annotations

import json
from typing import Any

from compliance_app.checks.aws._common import (
    ACCOUNT,
    PAB_FLAGS,
    AwsCheck,
    attr_error,
    bucket_exposure,
    effective_block,
    frameworks,
    result,
)
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity

_PAB_CLI = ("BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true")


def _arn(bucket: dict[str, Any]) -> str:
    return f"arn:aws:s3:::{bucket['Name']}"


class BucketCheck(AwsCheck):
    """One finding per bucket; a bucket whose needed attribute could not be read is ERROR."""

    collectors = ("s3.buckets",)
    attribute: str = ""

    def evaluate(self, buckets: list[dict[str, Any]]) -> list[Finding]:
        findings = []
        for b in buckets:
            value = b.get(self.attribute)
            if err := attr_error(value):
                findings.append(Finding.error(_arn(b), f"Bucket {b['Name']}: {err}", b.get("Region")))
                continue
            f = self.judge(b, value)
            f.region = b.get("Region")
            findings.append(f)
        return findings

    def judge(self, bucket: dict[str, Any], value: Any) -> Finding:  # pragma: no cover - interface
        raise NotImplementedError


class s3_account_level_public_access_blocks(AwsCheck):
    meta = CheckMeta(
        key="s3_account_level_public_access_blocks",
        title="Account-level S3 Block Public Access is fully on",
        provider=Provider.AWS,
        service="s3",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.6"], ["8.3"], ["2.1.4"]),
        rationale="The account-wide switch stops any current or future bucket from being made public by "
                  "mistake.",
        remediation="S3 > Block Public Access settings for this account > Edit: tick all four, or "
                    f"`aws s3control put-public-access-block --account-id <id> "
                    f"--public-access-block-configuration {_PAB_CLI}`.",
    )
    collectors = ("s3.account_public_access_block",)

    def evaluate(self, config: dict[str, Any]) -> list[Finding]:
        off = [f for f in PAB_FLAGS if not config.get(f)]
        return [result(not off, ACCOUNT, "All four account-level Block Public Access settings are on.",
                       f"Account-level Block Public Access is not fully on (off: {', '.join(off)}).",
                       {"PublicAccessBlockConfiguration": config or None})]


class s3_bucket_public_access(AwsCheck):
    meta = CheckMeta(
        key="s3_bucket_public_access",
        title="S3 buckets are not public",
        provider=Provider.AWS,
        service="s3",
        severity=Severity.CRITICAL,
        frameworks=frameworks(["CC6.6"], ["8.3"], ["2.1.4"]),
        rationale="A public bucket exposes its objects to anyone on the internet; most S3 data leaks are this.",
        remediation="S3 > <bucket> > Permissions: enable Block Public Access, remove AllUsers/AuthenticatedUsers "
                    "ACL grants and public policy statements; or "
                    "`aws s3api put-public-access-block --bucket <bucket> "
                    f"--public-access-block-configuration {_PAB_CLI}`.",
        when_empty=EvidenceStatus.PASS,
    )
    collectors = ("s3.buckets",)
    optional = ("s3.account_public_access_block",)

    def evaluate(self, buckets: list[dict[str, Any]], account: dict[str, Any]) -> list[Finding]:
        findings = []
        for b in buckets:
            reasons, error = bucket_exposure(b, account)
            if error:
                findings.append(Finding.error(_arn(b), f"Bucket {b['Name']}: {error}", b.get("Region")))
                continue
            raw = {k: b.get(k) for k in ("Name", "Grants", "PolicyStatus", "PublicAccessBlock")}
            raw["AccountPublicAccessBlock"] = account or None
            findings.append(result(not reasons, _arn(b), f"Bucket {b['Name']} is not public.",
                                   f"Bucket {b['Name']} is public: {'; '.join(reasons)}.", raw, b.get("Region")))
        return findings


class s3_bucket_level_public_access_block(AwsCheck):
    meta = CheckMeta(
        key="s3_bucket_level_public_access_block",
        title="S3 Block Public Access is fully on for every bucket (bucket or account level)",
        provider=Provider.AWS,
        service="s3",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.6"], ["8.3"], ["2.1.4"]),
        rationale="Block Public Access keeps a bucket private even if a later ACL or policy change would make "
                  "it public; S3 applies the account-level and bucket-level settings together.",
        remediation="S3 > <bucket> > Permissions > Block public access > Edit: tick all four (or turn them on "
                    "for the whole account), or `aws s3api put-public-access-block --bucket <bucket> "
                    f"--public-access-block-configuration {_PAB_CLI}`.",
    )
    collectors = ("s3.buckets",)
    optional = ("s3.account_public_access_block",)

    def evaluate(self, buckets: list[dict[str, Any]], account: dict[str, Any]) -> list[Finding]:
        findings = []
        for b in buckets:
            own = b.get("PublicAccessBlock")
            if (err := attr_error(own)) and attr_error(account):
                findings.append(Finding.error(_arn(b), f"Bucket {b['Name']}: {err}", b.get("Region")))
                continue
            off = [flag for flag, on in effective_block(b, account).items() if not on]
            findings.append(result(not off, _arn(b),
                                   f"Bucket {b['Name']} has all four Block Public Access settings on "
                                   f"(bucket or account level).",
                                   f"Bucket {b['Name']} does not block public access fully (off at both bucket and "
                                   f"account level: {', '.join(off)}).",
                                   {"Name": b["Name"], "PublicAccessBlock": own or None,
                                    "AccountPublicAccessBlock": account or None}, b.get("Region")))
        return findings


def denies_insecure_transport(policy: Any) -> list[dict[str, Any]]:
    """Deny statements for everyone when aws:SecureTransport is false.

    Condition keys and action names are case-insensitive in IAM (aws:securetransport, S3:*).
    """
    if not policy:
        return []
    doc = json.loads(policy) if isinstance(policy, str) else policy
    statements = doc.get("Statement", [])
    found = []
    for st in statements if isinstance(statements, list) else [statements]:
        principal = st.get("Principal")
        actions = st.get("Action", [])
        actions = {str(a).lower() for a in (actions if isinstance(actions, list) else [actions])}
        everyone = principal == "*" or (isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"]))
        cond = st.get("Condition", {})
        keys = {str(k).lower(): v for op in ("Bool", "BoolIfExists") for k, v in (cond.get(op) or {}).items()}
        secure = keys.get("aws:securetransport")
        if (st.get("Effect") == "Deny" and everyone and ({"*", "s3:*"} & actions)
                and str(secure).lower() in ("false", "['false']")):
            found.append(st)
    return found


class s3_bucket_secure_transport_policy(BucketCheck):
    meta = CheckMeta(
        key="s3_bucket_secure_transport_policy",
        title="S3 bucket policies deny requests without TLS",
        provider=Provider.AWS,
        service="s3",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC6.7"], ["8.24"], ["2.1.1"]),
        rationale="Denying aws:SecureTransport=false guarantees data never travels to or from the bucket "
                  "in clear text.",
        remediation="Add to the bucket policy: {\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\","
                    "\"Resource\":[\"arn:aws:s3:::<bucket>\",\"arn:aws:s3:::<bucket>/*\"],"
                    "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}} "
                    "(S3 > <bucket> > Permissions > Bucket policy, or `aws s3api put-bucket-policy`).",
    )
    attribute = "Policy"

    def judge(self, bucket: dict[str, Any], value: Any) -> Finding:
        statements = denies_insecure_transport(value)
        return result(bool(statements), _arn(bucket), f"Bucket {bucket['Name']} denies requests without TLS.",
                      f"Bucket {bucket['Name']} has no policy denying aws:SecureTransport=false.",
                      {"Name": bucket["Name"], "HasPolicy": value is not None, "DenyStatements": statements})


class s3_bucket_versioning_enabled(BucketCheck):
    meta = CheckMeta(
        key="s3_bucket_versioning_enabled",
        title="S3 bucket versioning is enabled",
        provider=Provider.AWS,
        service="s3",
        severity=Severity.LOW,
        frameworks=frameworks(["A1.2"], ["8.13"]),
        rationale="Versioning lets you recover objects overwritten or deleted by mistake or by ransomware.",
        remediation="S3 > <bucket> > Properties > Bucket Versioning > Enable, or "
                    "`aws s3api put-bucket-versioning --bucket <bucket> --versioning-configuration Status=Enabled`.",
    )
    attribute = "Versioning"

    def judge(self, bucket: dict[str, Any], value: Any) -> Finding:
        return result(value == "Enabled", _arn(bucket), f"Bucket {bucket['Name']} has versioning enabled.",
                      f"Bucket {bucket['Name']} does not have versioning enabled (status: {value or 'never enabled'}).",
                      {"Name": bucket["Name"], "Versioning": value})


class s3_bucket_server_access_logging_enabled(BucketCheck):
    meta = CheckMeta(
        key="s3_bucket_server_access_logging_enabled",
        title="S3 server access logging is enabled",
        provider=Provider.AWS,
        service="s3",
        severity=Severity.LOW,
        frameworks=frameworks(["CC7.2"], ["8.15"]),
        rationale="Access logs record who read or changed which object, needed to investigate a leak.",
        remediation="S3 > <bucket> > Properties > Server access logging > Edit > Enable and pick a target bucket, "
                    "or `aws s3api put-bucket-logging --bucket <bucket> --bucket-logging-status "
                    "'{\"LoggingEnabled\":{\"TargetBucket\":\"<log-bucket>\",\"TargetPrefix\":\"<bucket>/\"}}'`.",
    )
    attribute = "Logging"

    def judge(self, bucket: dict[str, Any], value: Any) -> Finding:
        return result(bool(value), _arn(bucket), f"Bucket {bucket['Name']} has server access logging enabled.",
                      f"Bucket {bucket['Name']} does not have server access logging enabled.",
                      {"Name": bucket["Name"], "LoggingEnabled": value})
