"""EFS: automatic backups."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import RegionalCheck, attr_error, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity

#: ENABLING is the few minutes after the switch was turned on; backups are then scheduled.
_ON = ("ENABLED", "ENABLING")


class efs_have_backup_enabled(RegionalCheck):
    meta = CheckMeta(
        key="efs_have_backup_enabled",
        title="EFS file systems have automatic backups",
        provider=Provider.AWS,
        service="efs",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["A1.2"], ["8.13"]),
        rationale="Automatic backups (a daily AWS Backup plan kept 35 days) are what restores a shared file "
                  "system after deletion, corruption or ransomware; EFS itself keeps no history.",
        remediation="EFS > File systems > <fs> > Edit > Automatic backups: Enable, or `aws efs "
                    "put-backup-policy --file-system-id <id> --backup-policy Status=ENABLED`.",
    )
    collector = "efs.file_systems"

    def evaluate(self, file_systems: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for fs in file_systems:
            resource = fs.get("FileSystemArn") or fs["FileSystemId"]
            label = fs["FileSystemId"] + (f" ({fs['Name']})" if fs.get("Name") else "")
            if err := attr_error(fs):
                findings.append(Finding.error(resource, f"EFS file system {label}: {err}", region))
                continue
            status = fs.get("BackupPolicyStatus")
            findings.append(result(status in _ON, resource, f"EFS file system {label} has automatic backups.",
                                   f"EFS file system {label} has no automatic backups "
                                   f"({'no backup policy' if status is None else status}).",
                                   {"FileSystemId": fs["FileSystemId"], "BackupPolicyStatus": status}, region))
        return findings
