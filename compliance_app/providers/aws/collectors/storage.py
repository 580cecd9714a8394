"""Storage collectors: S3 Object Lock per bucket (global listing), EFS backup policies (regional)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from compliance_app.providers.aws.collectors._registry import collector, paginate
from compliance_app.providers.aws.errors import code

if TYPE_CHECKING:
    from compliance_app.providers.aws.session import AwsSession


#: Versioning states (GetBucketVersioning) of a bucket that cannot have Object Lock: S3 turns versioning
#: on with Object Lock and refuses to suspend it afterwards. An unreadable state ({"__error__"}) is not here.
_NEVER_VERSIONED = (None, "Suspended")


@collector("s3.object_lock")
def _s3_object_lock(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Each bucket's Object Lock configuration, read in the bucket's region (buckets read concurrently).

    The bucket list and regions come from the memoized s3.buckets collector. A bucket without
    Object Lock answers ObjectLockConfigurationNotFoundError: that is "not configured" ({}), not
    an error; any other failure is kept as `__error__` on that bucket only. A bucket whose
    versioning was never enabled, or is suspended, cannot have Object Lock: it is not asked.
    """
    def one(bucket: dict[str, Any]) -> dict[str, Any]:
        name, where = bucket["Name"], bucket.get("Region")
        row: dict[str, Any] = {"Name": name, "Region": where, "Versioning": bucket.get("Versioning")}
        if bucket.get("Versioning") in _NEVER_VERSIONED:
            row["ObjectLockConfiguration"] = {}  # S3 keeps versioning on for good once Object Lock is on
            return row
        try:
            row["ObjectLockConfiguration"] = s.client("s3", where).get_object_lock_configuration(
                Bucket=name)["ObjectLockConfiguration"]
        except ClientError as exc:
            if code(exc) == "ObjectLockConfigurationNotFoundError":
                row["ObjectLockConfiguration"] = {}
            else:
                row["__error__"] = s.describe(exc, "s3", where)
        except BotoCoreError as exc:
            row["__error__"] = s.describe(exc, "s3", where)
        return row

    return s.fan_out(one, s.collect("s3.buckets"))


#: EFS answers DescribeBackupPolicy with PolicyNotFound when automatic backups were never turned on.
_NO_BACKUP_POLICY = "PolicyNotFound"


@collector("efs.file_systems")
def _efs_file_systems(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Every file system with its automatic-backup policy status (read concurrently, per-FS errors kept)."""
    efs = s.client("efs", region)

    def one(fs: dict[str, Any]) -> dict[str, Any]:
        row = {k: fs.get(k) for k in ("FileSystemId", "FileSystemArn", "Name", "LifeCycleState")}
        try:
            row["BackupPolicyStatus"] = efs.describe_backup_policy(
                FileSystemId=fs["FileSystemId"])["BackupPolicy"].get("Status")
        except ClientError as exc:
            if code(exc) == _NO_BACKUP_POLICY:
                row["BackupPolicyStatus"] = None
            else:
                row["__error__"] = s.describe(exc, "efs", region)
        except BotoCoreError as exc:
            row["__error__"] = s.describe(exc, "efs", region)
        return row

    return s.fan_out(one, paginate(efs, "describe_file_systems", "FileSystems"))
