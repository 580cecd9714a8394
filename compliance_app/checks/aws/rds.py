"""RDS instances: encrypted storage, not public, backups kept a week."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import RegionalCheck, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity

MIN_BACKUP_DAYS = 7


def is_read_replica(db: dict[str, Any]) -> bool:
    return bool(db.get("ReadReplicaSourceDBInstanceIdentifier") or db.get("ReadReplicaSourceDBClusterIdentifier"))


def _raw(db: dict[str, Any], key: str) -> dict[str, Any]:
    return {"DBInstanceIdentifier": db["DBInstanceIdentifier"], "Engine": db.get("Engine"), key: db.get(key)}


class rds_instance_storage_encrypted(RegionalCheck):
    meta = CheckMeta(
        key="rds_instance_storage_encrypted",
        title="RDS instance storage is encrypted",
        provider=Provider.AWS,
        service="rds",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.7"], ["8.24"], ["2.3.1"]),
        rationale="Encryption at rest covers the database volume, its backups, snapshots and replicas.",
        remediation="Encryption cannot be turned on in place: take a snapshot, copy it with "
                    "`aws rds copy-db-snapshot --kms-key-id <key> ...`, restore a new instance from the "
                    "encrypted copy and switch the application over.",
    )
    collector = "rds.instances"

    def evaluate(self, dbs: list[dict[str, Any]], region: str) -> list[Finding]:
        return [result(bool(d.get("StorageEncrypted")), d.get("DBInstanceArn") or d["DBInstanceIdentifier"],
                       f"DB instance {d['DBInstanceIdentifier']} has encrypted storage.",
                       f"DB instance {d['DBInstanceIdentifier']} storage is not encrypted.",
                       _raw(d, "StorageEncrypted"), region) for d in dbs]


class rds_instance_no_public_access(RegionalCheck):
    meta = CheckMeta(
        key="rds_instance_no_public_access",
        title="RDS instances are not publicly accessible",
        provider=Provider.AWS,
        service="rds",
        severity=Severity.CRITICAL,
        frameworks=frameworks(["CC6.6"], ["8.20"], ["2.3.3"]),
        rationale="A publicly accessible database gets a public IP and is one security-group rule away "
                  "from the internet.",
        remediation="RDS > Databases > <db> > Modify > Connectivity > Additional configuration > "
                    "Not publicly accessible, or `aws rds modify-db-instance --db-instance-identifier <id> "
                    "--no-publicly-accessible --apply-immediately`.",
    )
    collector = "rds.instances"

    def evaluate(self, dbs: list[dict[str, Any]], region: str) -> list[Finding]:
        return [result(not d.get("PubliclyAccessible"), d.get("DBInstanceArn") or d["DBInstanceIdentifier"],
                       f"DB instance {d['DBInstanceIdentifier']} is not publicly accessible.",
                       f"DB instance {d['DBInstanceIdentifier']} is publicly accessible.",
                       _raw(d, "PubliclyAccessible"), region) for d in dbs]


class rds_instance_backup_enabled(RegionalCheck):
    meta = CheckMeta(
        key="rds_instance_backup_enabled",
        title="RDS automated backups are kept at least 7 days",
        provider=Provider.AWS,
        service="rds",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["A1.2"], ["8.13"]),
        rationale="Automated backups with enough retention allow point-in-time restore after corruption "
                  "or deletion noticed days later.",
        remediation="RDS > Databases > <db> > Modify > Backup retention period ≥ 7 days, or "
                    "`aws rds modify-db-instance --db-instance-identifier <id> --backup-retention-period 7 "
                    "--apply-immediately`.",
    )
    collector = "rds.instances"

    def evaluate(self, dbs: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for d in dbs:
            if is_read_replica(d):  # replicas are rebuilt from their source, whose backups are what count
                continue
            days = d.get("BackupRetentionPeriod") or 0
            findings.append(result(days >= MIN_BACKUP_DAYS, d.get("DBInstanceArn") or d["DBInstanceIdentifier"],
                                   f"DB instance {d['DBInstanceIdentifier']} keeps backups {days} days.",
                                   f"DB instance {d['DBInstanceIdentifier']} keeps backups only {days} days "
                                   f"(minimum {MIN_BACKUP_DAYS}).", _raw(d, "BackupRetentionPeriod"), region))
        return findings
