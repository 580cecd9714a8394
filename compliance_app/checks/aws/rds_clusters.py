"""RDS beyond the instance basics: cluster encryption, deletion protection, logs in CloudWatch.

An Aurora instance takes its deletion protection and log exports from its cluster (the
instance-level fields stay empty there), so the instance checks judge a cluster member by
its cluster's settings and say so.
"""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import RegionalCheck, attr_error, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity


def effective(db: dict[str, Any], clusters: dict[str, dict[str, Any]], field: str) -> tuple[Any, str]:
    """(value of `field` that applies to the instance, where it is set: "instance" or "cluster <id>")."""
    cluster = clusters.get(db.get("DBClusterIdentifier") or "")
    if cluster is not None:
        return cluster.get(field), f"cluster {cluster['DBClusterIdentifier']}"
    return db.get(field), "instance"


class _InstanceSettingCheck(RegionalCheck):
    """One finding per DB instance on a setting that Aurora members inherit from their cluster."""

    collector = "rds.inventory"
    field = ""

    def judge(self, value: Any) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def messages(self, name: str, value: Any, where: str) -> tuple[str, str]:  # pragma: no cover - interface
        raise NotImplementedError

    def evaluate(self, inventory: dict[str, Any], region: str) -> list[Finding]:
        clusters_error = attr_error(inventory.get("clusters"))
        clusters = {} if clusters_error else {c["DBClusterIdentifier"]: c for c in inventory.get("clusters") or []}
        findings = []
        for d in inventory.get("instances") or []:
            if clusters_error and d.get("DBClusterIdentifier"):
                findings.append(Finding.error(d.get("DBInstanceArn") or d["DBInstanceIdentifier"],
                                              f"DB instance {d['DBInstanceIdentifier']} takes this setting from "
                                              f"cluster {d['DBClusterIdentifier']}, which could not be read: "
                                              f"{clusters_error}", region))
                continue
            value, where = effective(d, clusters, self.field)
            ok, bad = self.messages(d["DBInstanceIdentifier"], value, where)
            findings.append(result(self.judge(value), d.get("DBInstanceArn") or d["DBInstanceIdentifier"], ok, bad,
                                   {"DBInstanceIdentifier": d["DBInstanceIdentifier"], "Engine": d.get("Engine"),
                                    "DBClusterIdentifier": d.get("DBClusterIdentifier"), self.field: value,
                                    "SetOn": where}, region))
        return findings


class rds_instance_deletion_protection(_InstanceSettingCheck):
    meta = CheckMeta(
        key="rds_instance_deletion_protection",
        title="RDS instances have deletion protection",
        provider=Provider.AWS,
        service="rds",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["A1.2"], ["8.13"]),
        rationale="Deletion protection makes deleting a database a two-step, deliberate act, so a script, a "
                  "wrong console click or a stolen credential cannot drop it in one call.",
        remediation="RDS > Databases > <db> (or its Aurora cluster) > Modify > Enable deletion protection, or "
                    "`aws rds modify-db-instance --db-instance-identifier <id> --deletion-protection "
                    "--apply-immediately` (Aurora: `aws rds modify-db-cluster --db-cluster-identifier <id> "
                    "--deletion-protection --apply-immediately`).",
    )
    field = "DeletionProtection"

    def judge(self, value: Any) -> bool:
        return bool(value)

    def messages(self, name: str, value: Any, where: str) -> tuple[str, str]:
        via = "" if where == "instance" else f" (set on its {where})"
        return (f"DB instance {name} has deletion protection{via}.",
                f"DB instance {name} has no deletion protection{via}.")


class rds_instance_integration_cloudwatch_logs(_InstanceSettingCheck):
    meta = CheckMeta(
        key="rds_instance_integration_cloudwatch_logs",
        title="RDS instances export their logs to CloudWatch Logs",
        provider=Provider.AWS,
        service="rds",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC7.2"], ["8.15"]),
        rationale="Database logs (errors, audit, slow queries) kept only on the instance rotate away within "
                  "days and vanish with it; in CloudWatch Logs they are retained, searchable and alarmable.",
        remediation="RDS > Databases > <db> (or its Aurora cluster) > Modify > Log exports: tick the engine's "
                    "logs, or `aws rds modify-db-instance --db-instance-identifier <id> "
                    "--cloudwatch-logs-export-configuration '{\"EnableLogTypes\":[\"error\"]}' --apply-immediately` "
                    "(Aurora: `aws rds modify-db-cluster --db-cluster-identifier <id> "
                    "--cloudwatch-logs-export-configuration ...`).",
    )
    field = "EnabledCloudwatchLogsExports"

    def judge(self, value: Any) -> bool:
        return bool(value)

    def messages(self, name: str, value: Any, where: str) -> tuple[str, str]:
        via = "" if where == "instance" else f" (set on its {where})"
        return (f"DB instance {name} exports {', '.join(value or [])} logs to CloudWatch Logs{via}.",
                f"DB instance {name} exports no logs to CloudWatch Logs{via}.")


class rds_cluster_storage_encrypted(RegionalCheck):
    meta = CheckMeta(
        key="rds_cluster_storage_encrypted",
        title="RDS DB clusters have encrypted storage",
        provider=Provider.AWS,
        service="rds",
        severity=Severity.HIGH,
        frameworks=frameworks(["CC6.7"], ["8.24"], ["2.3.1"]),
        rationale="Encryption at rest of an Aurora or Multi-AZ cluster covers its shared volume, automated "
                  "backups, snapshots and replicas.",
        remediation="Encryption cannot be turned on in place: snapshot the cluster (`aws rds "
                    "create-db-cluster-snapshot ...`), restore a new cluster from it with `aws rds "
                    "restore-db-cluster-from-snapshot --kms-key-id <key> ...` (the console: Snapshots > <snapshot> > "
                    "Restore snapshot > Encryption), then move the application over.",
    )
    collector = "rds.clusters"

    def evaluate(self, clusters: list[dict[str, Any]], region: str) -> list[Finding]:
        return [result(bool(c.get("StorageEncrypted")), c.get("DBClusterArn") or c["DBClusterIdentifier"],
                       f"DB cluster {c['DBClusterIdentifier']} has encrypted storage.",
                       f"DB cluster {c['DBClusterIdentifier']} storage is not encrypted.",
                       {"DBClusterIdentifier": c["DBClusterIdentifier"], "Engine": c.get("Engine"),
                        "StorageEncrypted": c.get("StorageEncrypted")}, region) for c in clusters]
