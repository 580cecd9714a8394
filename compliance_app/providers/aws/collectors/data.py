"""Data-protection collectors (regional): RDS, KMS, Backup, ACM, Secrets Manager, DynamoDB."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from compliance_app.providers.aws.collectors._registry import collector, paginate
from compliance_app.vocabulary import CollectionError

if TYPE_CHECKING:
    from compliance_app.providers.aws.session import AwsSession


@collector("rds.instances")
def _rds_instances(s: AwsSession, region: str) -> list[dict[str, Any]]:
    dbs = paginate(s.client("rds", region), "describe_db_instances", "DBInstances")
    return [{k: d.get(k) for k in ("DBInstanceIdentifier", "DBInstanceArn", "Engine", "StorageEncrypted",
                                   "PubliclyAccessible", "BackupRetentionPeriod",
                                   "ReadReplicaSourceDBInstanceIdentifier", "ReadReplicaSourceDBClusterIdentifier",
                                   "DBClusterIdentifier", "DeletionProtection", "EnabledCloudwatchLogsExports")}
            for d in dbs]


@collector("rds.clusters")
def _rds_clusters(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Aurora and Multi-AZ DB clusters (DescribeDBClusters also lists Neptune and DocumentDB ones)."""
    clusters = paginate(s.client("rds", region), "describe_db_clusters", "DBClusters")
    return [{k: c.get(k) for k in ("DBClusterIdentifier", "DBClusterArn", "Engine", "StorageEncrypted",
                                   "DeletionProtection", "EnabledCloudwatchLogsExports")} for c in clusters]


@collector("rds.inventory")
def _rds_inventory(s: AwsSession, region: str) -> dict[str, Any]:
    """Instances with their clusters: an Aurora member's deletion protection and log exports are the cluster's.

    Unreadable clusters are {"__error__": reason}: only the cluster members then lack their verdict.
    """
    try:
        clusters: Any = s.collect("rds.clusters", region)
    except CollectionError as exc:
        clusters = {"__error__": exc.reason}
    return {"instances": s.collect("rds.instances", region), "clusters": clusters}


@collector("kms.keys")
def _kms_keys(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Customer-managed, enabled, symmetric keys with their rotation status (keys read concurrently)."""
    kms = s.client("kms", region)

    def one(k: dict[str, Any]) -> dict[str, Any] | None:
        try:  # a key policy can deny the auditor one key; the other keys are still read
            meta = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
        except (ClientError, BotoCoreError) as exc:
            return {"KeyId": k["KeyId"], "Arn": k.get("KeyArn"), "__error__": s.describe(exc, "kms", region)}
        if (meta.get("KeyManager") != "CUSTOMER" or meta.get("KeyState") != "Enabled"
                or meta.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT"
                or meta.get("Origin", "AWS_KMS") != "AWS_KMS"):
            return None
        key = {"KeyId": meta["KeyId"], "Arn": meta.get("Arn")}
        try:  # a key policy can deny the auditor even when IAM allows it
            key["KeyRotationEnabled"] = kms.get_key_rotation_status(KeyId=k["KeyId"]).get("KeyRotationEnabled")
        except (ClientError, BotoCoreError) as exc:
            key["__error__"] = s.describe(exc, "kms", region)
        return key

    return [key for key in s.fan_out(one, paginate(kms, "list_keys", "Keys")) if key is not None]


@collector("backup.plans")
def _backup_plans(s: AwsSession, region: str) -> list[dict[str, Any]]:
    plans = paginate(s.client("backup", region), "list_backup_plans", "BackupPlansList")
    return [{"BackupPlanId": p["BackupPlanId"], "BackupPlanName": p.get("BackupPlanName"),
             "BackupPlanArn": p.get("BackupPlanArn")} for p in plans]


ACM_KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]


@collector("acm.certificates")
def _acm_certificates(s: AwsSession, region: str) -> list[dict[str, Any]]:
    acm = s.client("acm", region)
    # Without Includes, ListCertificates silently omits everything but RSA-1024/2048 certificates.
    summaries = paginate(acm, "list_certificates", "CertificateSummaryList", Includes={"keyTypes": ACM_KEY_TYPES})
    certs = s.fan_out(lambda c: acm.describe_certificate(CertificateArn=c["CertificateArn"])["Certificate"],
                      summaries)
    return [{k: cert.get(k) for k in ("CertificateArn", "DomainName", "Status", "NotAfter", "InUseBy")}
            for cert in certs]


@collector("secretsmanager.secrets")
def _secrets(s: AwsSession, region: str) -> list[dict[str, Any]]:
    secrets = paginate(s.client("secretsmanager", region), "list_secrets", "SecretList")
    return [{"Name": x["Name"], "ARN": x.get("ARN"), "RotationEnabled": bool(x.get("RotationEnabled")),
             "RotationRules": x.get("RotationRules")} for x in secrets]


@collector("dynamodb.tables")
def _dynamodb_tables(s: AwsSession, region: str) -> list[dict[str, Any]]:
    ddb = s.client("dynamodb", region)

    def one(name: str) -> dict[str, Any]:
        desc = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        pitr = desc.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
        return {"TableName": name, "PointInTimeRecoveryStatus": pitr}

    return s.fan_out(one, paginate(ddb, "list_tables", "TableNames"))
