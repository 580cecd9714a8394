"""Account password policy strength."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import AwsCheck, failed, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity

RESOURCE = "password-policy"


class iam_password_policy_minimum_length_14(AwsCheck):
    meta = CheckMeta(
        key="iam_password_policy_minimum_length_14",
        title="IAM password policy requires at least 14 characters",
        provider=Provider.AWS,
        service="iam",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC6.1"], ["5.17"], ["1.8"]),
        rationale="Long passwords resist brute-force and guessing attacks on IAM console users.",
        remediation="IAM > Account settings > Password policy > Edit: set minimum length to 14, or run "
                    "`aws iam update-account-password-policy --minimum-password-length 14` "
                    "(include your other current settings, the call replaces the policy).",
    )
    collectors = ("iam.password_policy",)

    def evaluate(self, policy: dict[str, Any]) -> list[Finding]:
        length = policy.get("MinimumPasswordLength")
        if not policy:
            return [failed(RESOURCE, "The account has no IAM password policy (AWS default: 8 characters).",
                           {"PasswordPolicy": None})]
        return [result((length or 0) >= 14, RESOURCE,
                       f"The password policy requires at least {length} characters.",
                       f"The password policy requires only {length} characters (minimum 14).",
                       {"MinimumPasswordLength": length})]


class iam_password_policy_reuse_24(AwsCheck):
    meta = CheckMeta(
        key="iam_password_policy_reuse_24",
        title="IAM password policy prevents reuse of the last 24 passwords",
        provider=Provider.AWS,
        service="iam",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC6.1"], ["5.17"], ["1.9"]),
        rationale="Preventing reuse stops users cycling back to a password that may already be compromised.",
        remediation="IAM > Account settings > Password policy > Edit: enable 'Prevent password reuse' with 24, "
                    "or `aws iam update-account-password-policy --password-reuse-prevention 24` "
                    "(include your other current settings).",
    )
    collectors = ("iam.password_policy",)

    def evaluate(self, policy: dict[str, Any]) -> list[Finding]:
        reuse = policy.get("PasswordReusePrevention")
        if not policy:
            return [failed(RESOURCE, "The account has no IAM password policy, so password reuse is not prevented.",
                           {"PasswordPolicy": None})]
        return [result((reuse or 0) >= 24, RESOURCE,
                       f"The password policy prevents reuse of the last {reuse} passwords.",
                       f"The password policy prevents reuse of only {reuse or 0} passwords (minimum 24).",
                       {"PasswordReusePrevention": reuse})]
