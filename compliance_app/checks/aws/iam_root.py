"""Root account hygiene: MFA, no access keys, not used day to day."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from compliance_app.checks.aws._common import (
    AwsCheck,
    as_datetime,
    failed,
    frameworks,
    now,
    passed,
)
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity

ROOT = "root"
ROOT_USAGE_DAYS = 90


class iam_root_mfa_enabled(AwsCheck):
    meta = CheckMeta(
        key="iam_root_mfa_enabled",
        title="Root account has MFA enabled",
        provider=Provider.AWS,
        service="iam",
        severity=Severity.CRITICAL,
        frameworks=frameworks(["CC6.1"], ["5.17", "8.5"], ["1.5"]),
        rationale="The root user can do anything in the account, including closing it; a stolen "
                  "password alone must not be enough to sign in as root.",
        remediation="Sign in as root, open IAM > Security credentials > Multi-factor authentication (MFA) > "
                    "Assign MFA device, and register a hardware or virtual MFA device.",
    )
    collectors = ("iam.account_summary",)
    optional = ("iam.credential_report",)

    def evaluate(self, summary: dict[str, Any], report: Any) -> list[Finding]:
        raw = {"AccountMFAEnabled": summary.get("AccountMFAEnabled")}
        if summary.get("AccountMFAEnabled") == 1:
            return [passed(ROOT, "The root account has MFA enabled.", raw)]
        row = root_row(report)
        if row is not None and not root_credentials(summary, row):
            return [passed(ROOT, "The root user has no password, access key or signing certificate (centralized "
                                 "root access): there is nothing to protect with MFA.",
                            raw | {"RootCredentials": []})]
        held = root_credentials(summary, row) if row is not None else ["unknown (no credential report row)"]
        return [failed(ROOT, "The root account does not have MFA enabled.", raw | {"RootCredentials": held})]


def root_row(report: Any) -> dict[str, str] | None:
    """The <root_account> row of the credential report, or None (report unreadable or without it)."""
    if not isinstance(report, list):
        return None
    return next((row for row in report if row.get("user") == "<root_account>"), None)


def root_credentials(summary: dict[str, Any], row: dict[str, str]) -> list[str]:
    """What the root user could sign in or call the API with.

    Only an explicit "false" counts as "no password": the report says "not_supported" for root
    passwords on accounts outside centralized root access, and that must not read as none.
    """
    held = []
    if str(row.get("password_enabled", "")).lower() != "false":
        held.append("password")
    held += [f"access key {n}" for n in (1, 2) if str(row.get(f"access_key_{n}_active")).lower() == "true"]
    if summary.get("AccountAccessKeysPresent") and not any(h.startswith("access key") for h in held):
        held.append("inactive access key")
    if summary.get("AccountSigningCertificatesPresent") or any(
            str(row.get(f"cert_{n}_active")).lower() == "true" for n in (1, 2)):
        held.append("signing certificate")
    return held


class iam_no_root_access_key(AwsCheck):
    meta = CheckMeta(
        key="iam_no_root_access_key",
        title="Root account has no access keys",
        provider=Provider.AWS,
        service="iam",
        severity=Severity.CRITICAL,
        frameworks=frameworks(["CC6.1"], ["8.2"], ["1.4"]),
        rationale="Root access keys give unrestricted programmatic access that cannot be limited by "
                  "IAM policies; a leaked key compromises the whole account.",
        remediation="Sign in as root, open IAM > Security credentials > Access keys, make each key "
                    "inactive and then delete it; use IAM roles for automation instead.",
    )
    collectors = ("iam.account_summary",)
    optional = ("iam.credential_report",)

    def evaluate(self, summary: dict[str, Any], report: Any) -> list[Finding]:
        present = summary.get("AccountAccessKeysPresent", 0)
        raw: dict[str, Any] = {"AccountAccessKeysPresent": present}
        if not present:
            return [passed(ROOT, "The root account has no access keys.", raw)]
        row = root_row(report)
        if row is None:
            return [failed(ROOT, "The root account has access keys (the credential report, which says whether "
                                 "they are active, could not be read).", raw)]
        active = [n for n in (1, 2) if str(row.get(f"access_key_{n}_active")).lower() == "true"]
        raw["ActiveKeys"] = len(active)
        if active:
            return [failed(ROOT, f"The root account has {len(active)} active access key(s).", raw)]
        return [failed(ROOT, "The root account has access keys, none of them active: delete the inactive "
                             "keys.", raw)]


class iam_avoid_root_usage(AwsCheck):
    meta = CheckMeta(
        key="iam_avoid_root_usage",
        title="Root account not used in the last 90 days",
        provider=Provider.AWS,
        service="iam",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.1"], ["8.2"], ["1.7"]),
        rationale="Day-to-day work as root bypasses least privilege and leaves no per-person "
                  "accountability; root should be reserved for the few tasks that require it.",
        remediation="Create IAM users or SSO identities with the permissions people need, stop signing in "
                    "as root, and delete root access keys (IAM > Security credentials).",
    )
    collectors = ("iam.credential_report",)

    def evaluate(self, report: list[dict[str, str]]) -> list[Finding]:
        root = next((row for row in report if row.get("user") == "<root_account>"), None)
        if root is None:
            return [Finding.error(ROOT, "The IAM credential report has no <root_account> row.")]
        fields = ("password_last_used", "access_key_1_last_used_date", "access_key_2_last_used_date")
        raw = {f: root.get(f) for f in fields}
        cutoff = now() - timedelta(days=ROOT_USAGE_DAYS)
        recent = [f for f in fields if (d := as_datetime(root.get(f))) and d >= cutoff]
        if recent:
            return [failed(ROOT, f"The root account was used in the last {ROOT_USAGE_DAYS} days "
                                 f"({', '.join(recent)}).", raw)]
        return [passed(ROOT, f"The root account was not used in the last {ROOT_USAGE_DAYS} days.", raw)]
