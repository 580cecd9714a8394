"""Redshift clusters keep audit logs (connections, users, queries)."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.aws._common import RegionalCheck, attr_error, frameworks, result
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity


class redshift_cluster_audit_logging(RegionalCheck):
    meta = CheckMeta(
        key="redshift_cluster_audit_logging",
        title="Redshift clusters have audit logging enabled",
        provider=Provider.AWS,
        service="redshift",
        severity=Severity.MEDIUM,
        frameworks=frameworks(["CC7.2"], ["8.15"]),
        rationale="Audit logs record who connected to the warehouse and what they ran; without them a data "
                  "exfiltration through SQL leaves no trace outside the database.",
        remediation="Redshift > Clusters > <cluster> > Properties > Database configurations > Edit audit logging: "
                    "turn on, send to CloudWatch or an S3 bucket; or `aws redshift enable-logging "
                    "--cluster-identifier <id> --log-destination-type cloudwatch --log-exports "
                    "connectionlog useractivitylog userlog`.",
    )
    collector = "redshift.clusters_logging"

    def evaluate(self, clusters: list[dict[str, Any]], region: str) -> list[Finding]:
        findings = []
        for c in clusters:
            cid = c["ClusterIdentifier"]
            resource = c.get("ClusterNamespaceArn") or f"redshift/{region}/{cid}"
            if err := attr_error(c):
                findings.append(Finding.error(resource, f"Could not read the logging of cluster {cid}: {err}",
                                              region))
                continue
            where = c.get("LogDestinationType") or ("s3" if c.get("BucketName") else "an unknown destination")
            findings.append(result(bool(c.get("LoggingEnabled")), resource,
                                   f"Redshift cluster {cid} keeps audit logs (to {where}).",
                                   f"Redshift cluster {cid} has audit logging disabled.",
                                   {k: c.get(k) for k in ("ClusterIdentifier", "LoggingEnabled", "LogDestinationType",
                                                          "BucketName", "LogExports", "LastFailureMessage")},
                                   region))
        return findings
