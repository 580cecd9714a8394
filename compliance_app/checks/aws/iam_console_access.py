"""IAM users' console passwords are in use (CIS 1.12: credentials unused for 90 days are removed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from compliance_app.checks.aws._common import AwsCheck, as_datetime, frameworks, now, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity

UNUSED_DAYS = 90
ROOT_ROW = "<root_account>"


class iam_user_console_access_unused(AwsCheck):
    meta = CheckMeta(
        key="iam_user_console_access_unused",
        title="No IAM user keeps a console password unused for 90 days",
        provider=Provider.AWS,
        service="iam",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC6.2"], ["5.18"], ["1.12"]),
        rationale="A console password nobody uses is a standing way in that nobody would notice being used: "
                  "it belongs to someone who left or changed role, and its compromise would go unseen.",
        remediation="IAM > Users > <user> > Security credentials > Console sign-in > Disable console access (and "
                    "remove the user if no longer needed); or `aws iam delete-login-profile --user-name <user>`.",
        when_empty=EvidenceStatus.PASS,
    )
    collectors = ("iam.credential_report",)

    def evaluate(self, report: list[dict[str, Any]]) -> list[Finding]:
        """One finding per user with a console password, from the credential report.

        A password never used counts from the user's creation: a user created last week who has
        not signed in yet is not stale; one created a year ago who never signed in is.
        """
        cutoff = now() - timedelta(days=UNUSED_DAYS)
        findings = []
        for row in report:
            if row.get("user") == ROOT_ROW or row.get("password_enabled") != "true":
                continue
            name, arn = row.get("user"), row.get("arn") or f"iam-user/{row.get('user')}"
            used = as_datetime(row.get("password_last_used"))
            created = as_datetime(row.get("user_creation_time"))
            raw = {k: row.get(k) for k in ("user", "password_enabled", "password_last_used", "user_creation_time",
                                           "report_generated_at")}
            if used is None and created is None:
                findings.append(Finding.error(arn, f"The credential report gives neither the last console sign-in "
                                                   f"nor the creation date of user {name}."))
                continue
            since = used or created  # never used: counted from the user's creation
            if used is not None:
                seen = f"last signed in to the console {(now() - used).days} days ago"
            else:
                seen = f"has never signed in to the console (created {(now() - since).days} days ago)"
            findings.append(result(since >= cutoff, arn, f"User {name} {seen}.",
                                   f"User {name} {seen}: its console password has been unused for more than "
                                   f"{UNUSED_DAYS} days (credential report of {row.get('report_generated_at')}).",
                                   raw))
        return findings
