"""Backups, certificates, secrets rotation and DynamoDB point-in-time recovery."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import (
    ACCOUNT,
    MultiRegionCheck,
    RegionalCheck,
    as_datetime,
    frameworks,
    now,
    result,
)
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity

CERT_MIN_DAYS = 7


class backup_plans_exist(MultiRegionCheck):
    meta = CheckMeta(
        key="backup_plans_exist",
        title="At least one AWS Backup plan exists",
        provider=Provider.AWS,
        service="backup",
        severity=Severity.LOW,
        frameworks=frameworks(["A1.2"], ["8.13"]),
        rationale="A backup plan schedules and retains backups centrally instead of relying on each "
                  "service's own settings.",
        remediation="AWS Backup > Backup plans > Create backup plan (e.g. from the 'Daily-35day-Retention' template) "
                    "and assign resources, or `aws backup create-backup-plan --backup-plan file://plan.json`.",
    )
    collector = "backup.plans"

    def evaluate(self, by_region: dict[str, Any], *extra: Any) -> list[Finding]:
        plans = [{**p, "Region": region} for region, found in by_region.items() for p in found]
        names = ", ".join(f"{p['BackupPlanName']} ({p['Region']})" for p in plans)
        return [result(bool(plans), ACCOUNT, f"AWS Backup plans exist: {names}.",
                       f"No AWS Backup plan exists in the scanned regions ({', '.join(by_region)}).",
                       {"BackupPlans": plans})]


class acm_certificates_expiration_check(RegionalCheck):
    meta = CheckMeta(
        key="acm_certificates_expiration_check",
        title="No ACM certificate expires within 7 days",
        provider=Provider.AWS,
        service="acm",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.7"], ["8.24"]),
        rationale="An expired certificate breaks TLS for customers; imported certificates do not renew "
                  "themselves.",
        remediation="ACM > Certificates > <cert>: for imported certificates re-import a renewed one "
                    "(`aws acm import-certificate --certificate-arn <arn> ...`); for ACM-issued ones fix DNS/email "
                    "validation so managed renewal succeeds, or request a new certificate.",
    )
    collector = "acm.certificates"

    def evaluate(self, certs: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for c in certs:
            not_after = as_datetime(c.get("NotAfter"))
            if not_after is None:
                continue
            days = (not_after - now()).days
            state = f"expired {-days} days ago" if days < 0 else f"expires in {days} days"
            findings.append(result(days >= CERT_MIN_DAYS, c["CertificateArn"],
                                   f"Certificate {c.get('DomainName')} {state}.",
                                   f"Certificate {c.get('DomainName')} {state}.",
                                   {"DomainName": c.get("DomainName"), "Status": c.get("Status"),
                                    "NotAfter": c.get("NotAfter"), "InUseBy": c.get("InUseBy") or []}, region))
        return findings


class secretsmanager_automatic_rotation_enabled(RegionalCheck):
    meta = CheckMeta(
        key="secretsmanager_automatic_rotation_enabled",
        title="Secrets Manager secrets rotate automatically",
        provider=Provider.AWS,
        service="secretsmanager",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC6.1"], ["5.17"]),
        rationale="Rotated secrets limit how long a leaked database password or API key stays valid.",
        remediation="Secrets Manager > Secrets > <secret> > Rotation > Edit rotation: enable with a rotation "
                    "function, or `aws secretsmanager rotate-secret --secret-id <id> --rotation-lambda-arn <arn> "
                    "--rotation-rules AutomaticallyAfterDays=30`.",
    )
    collector = "secretsmanager.secrets"

    def evaluate(self, secrets: list[dict[str, Any]], region: str) -> list[Finding]:
        return [result(bool(s.get("RotationEnabled")), s.get("ARN") or s["Name"],
                       f"Secret {s['Name']} rotates automatically.",
                       f"Secret {s['Name']} does not rotate automatically.",
                       {"Name": s["Name"], "RotationEnabled": s.get("RotationEnabled"),
                        "RotationRules": s.get("RotationRules")}, region) for s in secrets]


class dynamodb_tables_pitr_enabled(RegionalCheck):
    meta = CheckMeta(
        key="dynamodb_tables_pitr_enabled",
        title="DynamoDB tables have point-in-time recovery",
        provider=Provider.AWS,
        service="dynamodb",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["A1.2"], ["8.13"]),
        rationale="PITR restores a table to any second of the last 35 days after a bad write or deletion.",
        remediation="DynamoDB > Tables > <table> > Backups > Point-in-time recovery > Edit > Enable, or "
                    "`aws dynamodb update-continuous-backups --table-name <table> "
                    "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true`.",
    )
    collector = "dynamodb.tables"

    def evaluate(self, tables: list[dict[str, Any]], region: str) -> list[Finding]:
        return [result(t.get("PointInTimeRecoveryStatus") == "ENABLED", t["TableName"],
                       f"Table {t['TableName']} has point-in-time recovery.",
                       f"Table {t['TableName']} does not have point-in-time recovery.",
                       {"TableName": t["TableName"], "PointInTimeRecoveryStatus": t.get("PointInTimeRecoveryStatus")},
                       region) for t in tables]
