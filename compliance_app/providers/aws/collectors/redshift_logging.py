"""Redshift provisioned clusters with their audit-logging status (regional)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from compliance_app.providers.aws.collectors._registry import collector, paginate

if TYPE_CHECKING:
    from compliance_app.providers.aws.session import AwsSession


@collector("redshift.clusters_logging")
def _redshift_clusters_logging(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Each cluster with its DescribeLoggingStatus answer (read concurrently) or __error__."""
    rs = s.client("redshift", region)

    def one(cluster: dict[str, Any]) -> dict[str, Any]:
        out = {"ClusterIdentifier": cluster["ClusterIdentifier"], "ClusterNamespaceArn":
               cluster.get("ClusterNamespaceArn"), "ClusterStatus": cluster.get("ClusterStatus")}
        try:
            status = rs.describe_logging_status(ClusterIdentifier=cluster["ClusterIdentifier"])
        except (ClientError, BotoCoreError) as exc:
            return {**out, "__error__": s.describe(exc, "redshift", region)}
        return {**out, **{k: status.get(k) for k in ("LoggingEnabled", "LogDestinationType", "BucketName",
                                                     "LogExports", "LastFailureMessage")}}

    return s.fan_out(one, paginate(rs, "describe_clusters", "Clusters"))
