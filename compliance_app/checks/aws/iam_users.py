"""IAM users: console MFA, access key age and use, no directly attached policies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from compliance_app.checks.aws._common import AwsCheck, as_datetime, frameworks, now, passed, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity

KEY_MAX_AGE_DAYS = 90
KEY_UNUSED_DAYS = 90


class iam_user_mfa_enabled_console_access(AwsCheck):
    meta = CheckMeta(
        key="iam_user_mfa_enabled_console_access",
        title="Every IAM user with a console password has MFA",
        provider=Provider.AWS,
        service="iam",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.1"], ["8.5"], ["1.10"]),
        rationale="A console password alone can be phished or guessed; MFA stops a stolen password "
                  "from becoming account access.",
        remediation="IAM > Users > <user> > Security credentials > Assign MFA device; or remove the console "
                    "password with `aws iam delete-login-profile --user-name <user>` if it is not needed.",
        when_empty=EvidenceStatus.PASS,
    )
    collectors = ("iam.users_mfa",)

    def evaluate(self, users: list[dict[str, Any]]) -> list[Finding]:
        findings = []
        for u in users:
            name = u["UserName"]
            if u.get("__error__"):
                findings.append(Finding.error(u["Arn"], u["__error__"]))
                continue
            # From the IAM credential report: its generation time says how fresh the facts are.
            raw = {"UserName": name, "ConsoleAccess": u["ConsoleAccess"], "MFAActive": u["MFAActive"],
                   "CredentialReportGeneratedAt": u.get("CredentialReportGeneratedAt")}
            if not u["ConsoleAccess"]:
                findings.append(passed(u["Arn"], f"User {name} has no console password.", raw))
                continue
            findings.append(result(bool(u["MFAActive"]), u["Arn"],
                                   f"User {name} has console access and an MFA device.",
                                   f"User {name} has console access without an MFA device.", raw))
        return findings


class iam_rotate_access_key_90_days(AwsCheck):
    meta = CheckMeta(
        key="iam_rotate_access_key_90_days",
        title="No active access key is older than 90 days",
        provider=Provider.AWS,
        service="iam",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC6.1"], ["5.17"], ["1.14"]),
        rationale="Rotating keys limits how long a leaked key stays useful.",
        remediation="Create a new key (`aws iam create-access-key --user-name <user>`), switch the "
                    "application to it, then `aws iam update-access-key --status Inactive` and "
                    "`aws iam delete-access-key` for the old key.",
        when_empty=EvidenceStatus.PASS,
    )
    collectors = ("iam.access_keys",)

    def evaluate(self, keys: list[dict[str, Any]]) -> list[Finding]:
        cutoff = now() - timedelta(days=KEY_MAX_AGE_DAYS)
        findings = []
        for k in keys:
            if k["Status"] != "Active":
                continue
            created = as_datetime(k["CreateDate"])
            age = (now() - created).days if created else None
            raw = {"UserName": k["UserName"], "AccessKeyId": k["AccessKeyId"], "CreateDate": k["CreateDate"]}
            findings.append(result(bool(created and created >= cutoff), k["AccessKeyId"],
                                   f"Access key {k['AccessKeyId']} of user {k['UserName']} is {age} days old.",
                                   f"Access key {k['AccessKeyId']} of user {k['UserName']} is {age} days old "
                                   f"(more than {KEY_MAX_AGE_DAYS}).", raw))
        return findings


class iam_user_accesskey_unused(AwsCheck):
    meta = CheckMeta(
        key="iam_user_accesskey_unused",
        title="No active access key unused for 90 days",
        provider=Provider.AWS,
        service="iam",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC6.2"], ["5.18"], ["1.12"]),
        rationale="A key nobody uses is pure risk: it can leak without anyone noticing it is missing.",
        remediation="Deactivate and delete the key: `aws iam update-access-key --user-name <user> "
                    "--access-key-id <id> --status Inactive` then `aws iam delete-access-key ...`.",
        when_empty=EvidenceStatus.PASS,
    )
    collectors = ("iam.access_keys",)

    def evaluate(self, keys: list[dict[str, Any]]) -> list[Finding]:
        cutoff = now() - timedelta(days=KEY_UNUSED_DAYS)
        findings = []
        for k in keys:
            if k["Status"] != "Active":
                continue
            last_used = as_datetime(k.get("LastUsedDate"))
            reference = last_used or as_datetime(k["CreateDate"])
            raw = {"UserName": k["UserName"], "AccessKeyId": k["AccessKeyId"],
                   "CreateDate": k["CreateDate"], "LastUsedDate": k.get("LastUsedDate")}
            used = f"last used {last_used.date()}" if last_used else "never used"
            findings.append(result(bool(reference and reference >= cutoff), k["AccessKeyId"],
                                   f"Access key {k['AccessKeyId']} of user {k['UserName']} is in use ({used}).",
                                   f"Access key {k['AccessKeyId']} of user {k['UserName']} is active but "
                                   f"{used} in the last {KEY_UNUSED_DAYS} days.", raw))
        return findings


class iam_policy_attached_only_to_group_or_roles(AwsCheck):
    meta = CheckMeta(
        key="iam_policy_attached_only_to_group_or_roles",
        title="No IAM policy is attached directly to a user",
        provider=Provider.AWS,
        service="iam",
        severity=Severity.LOW,
        frameworks=frameworks(["CC6.3"], ["5.15"], ["1.15"]),
        rationale="Granting permissions through groups and roles keeps access reviewable and consistent; "
                  "per-user policies drift and get forgotten.",
        remediation="Move the permissions to a group (`aws iam add-user-to-group`), then "
                    "`aws iam detach-user-policy` / `aws iam delete-user-policy` for the user.",
        when_empty=EvidenceStatus.PASS,
    )
    collectors = ("iam.user_policies",)

    def evaluate(self, users: list[dict[str, Any]]) -> list[Finding]:
        findings = []
        for u in users:
            direct = u["AttachedPolicies"] + u["InlinePolicies"]
            raw = {"UserName": u["UserName"], "AttachedPolicies": u["AttachedPolicies"],
                   "InlinePolicies": u["InlinePolicies"]}
            findings.append(result(not direct, u["Arn"], f"User {u['UserName']} has no directly attached policies.",
                                   f"User {u['UserName']} has policies attached directly: {', '.join(direct)}.",
                                   raw))
        return findings
