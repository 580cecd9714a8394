"""CloudTrail trails deliver their events to CloudWatch Logs (where alarms can watch them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from compliance_app.checks.aws._common import MultiRegionCheck, as_datetime, failed, frameworks, now, passed
from compliance_app.checks.aws.cloudtrail import unique_trails
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import Provider, Severity

#: A trail whose last CloudWatch delivery is older than this has stopped delivering.
MAX_DELIVERY_AGE = timedelta(days=1)


class cloudtrail_cloudwatch_logging_enabled(MultiRegionCheck):
    meta = CheckMeta(
        key="cloudtrail_cloudwatch_logging_enabled",
        title="Every CloudTrail trail delivers its events to CloudWatch Logs",
        provider=Provider.AWS,
        service="cloudtrail",
        severity=Severity.LOW,
        frameworks=frameworks(["CC7.2"], ["8.15", "8.16"]),
        rationale="Logs in S3 are kept but not watched; in CloudWatch Logs, metric filters and alarms can "
                  "react within minutes to root use, policy changes or a stopped trail.",
        remediation="CloudTrail > Trails > <trail> > CloudWatch Logs > Edit: enable, choose a log group and an "
                    "IAM role CloudTrail may use; or `aws cloudtrail update-trail --name <trail> "
                    "--cloud-watch-logs-log-group-arn <log-group-arn> --cloud-watch-logs-role-arn <role-arn>`.",
    )
    collector = "cloudtrail.trails"

    def evaluate(self, by_region: dict[str, Any]) -> list[Finding]:
        return [self._one(t) for t in unique_trails(by_region)]

    def _one(self, t: dict[str, Any]) -> Finding:
        keys = ("Name", "IsLogging", "CloudWatchLogsLogGroupArn", "LatestCloudWatchLogsDeliveryTime",
                "LatestCloudWatchLogsDeliveryError")
        raw = {k: t.get(k) for k in keys}
        resource, region, name = t["TrailARN"], t.get("HomeRegion"), t["Name"]
        group = t.get("CloudWatchLogsLogGroupArn")
        if not group:
            return failed(resource, f"Trail {name} does not send its events to CloudWatch Logs.", raw, region)
        if t.get("IsLogging") is None:
            return Finding.error(resource, f"Could not read the status of trail {name}: {t.get('StatusError')}",
                                 region)
        if not t["IsLogging"]:
            return failed(resource, f"Trail {name} is configured for CloudWatch Logs but is not logging.", raw, region)
        delivered = as_datetime(t.get("LatestCloudWatchLogsDeliveryTime"))
        error = t.get("LatestCloudWatchLogsDeliveryError")
        if delivered is None and error:
            return failed(resource, f"Trail {name} fails to deliver to CloudWatch Logs: {error}", raw, region)
        if delivered is not None and now() - delivered > MAX_DELIVERY_AGE:
            return failed(resource, f"Trail {name} last delivered to CloudWatch Logs on {delivered:%Y-%m-%d %H:%M} "
                                    f"UTC{f' ({error})' if error else ''}.", raw, region)
        when = (f"last delivery {delivered:%Y-%m-%d %H:%M} UTC" if delivered
                else "CloudTrail reports no delivery attempt yet")
        return passed(resource, f"Trail {name} sends its events to CloudWatch Logs ({when}).", raw, region)
