"""CloudTrail -> CloudWatch Logs monitoring (global): each trail's log group with its metric
filters and the alarms in the log group's region.

The CIS metric-filter controls judge the account once: is there a trail that sends every
management event of every region to a log group carrying the filter, with an alarm on the
filter's metric? This collector gathers exactly that, reading filters and alarms only in the
regions that hold a trail's log group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from compliance_app.providers.aws.collectors._registry import collector, paginate
from compliance_app.vocabulary import CollectionError

if TYPE_CHECKING:
    from compliance_app.providers.aws.session import AwsSession


def log_group_location(arn: str) -> tuple[str, str] | None:
    """(region, log group name) of `arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`, else None."""
    parts = (arn or "").split(":")
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        return None
    name = ":".join(parts[6:])
    return parts[3], name[:-2] if name.endswith(":*") else name


@collector("cloudwatch.metric_alarms")
def _metric_alarms(s: AwsSession, region: str) -> list[dict[str, Any]]:
    alarms = paginate(s.client("cloudwatch", region), "describe_alarms", "MetricAlarms")
    return [{k: a.get(k) for k in ("AlarmName", "AlarmArn", "MetricName", "Namespace", "ActionsEnabled",
                                   "AlarmActions")} for a in alarms]


@collector("cloudtrail.cloudwatch_monitoring")
def _cloudtrail_cloudwatch_monitoring(s: AwsSession, region: str) -> dict[str, Any]:
    """{"Trails": [trail + LogGroup, MetricFilters, Alarms or MonitoringError], "RegionErrors": {}}.

    Trails come from every scanned region (a multi-region trail once); a region whose trails
    cannot be read is listed in RegionErrors so that no verdict treats it as "no trail".
    """
    trails: dict[str, dict[str, Any]] = {}
    region_errors: dict[str, str] = {}
    for trail_region, found in s.collect_regions("cloudtrail.trails").items():
        if isinstance(found, CollectionError):
            region_errors[trail_region] = found.reason
            continue
        for t in found:
            trails.setdefault(t["TrailARN"], dict(t))

    def monitoring(trail: dict[str, Any]) -> dict[str, Any]:
        where = log_group_location(trail.get("CloudWatchLogsLogGroupArn") or "")
        if where is None:
            return trail
        group_region, group = where
        trail["LogGroup"] = {"Region": group_region, "Name": group}
        try:
            logs = s.client("logs", group_region)
            trail["MetricFilters"] = [{k: f.get(k) for k in ("filterName", "filterPattern", "metricTransformations")}
                                      for f in paginate(logs, "describe_metric_filters", "metricFilters",
                                                        logGroupName=group)]
            trail["Alarms"] = s.collect("cloudwatch.metric_alarms", group_region)
        except (ClientError, BotoCoreError) as exc:
            trail["MonitoringError"] = s.describe(exc, "logs", group_region)
        except CollectionError as exc:
            trail["MonitoringError"] = exc.reason
        return trail

    return {"Trails": s.fan_out(monitoring, [trails[k] for k in sorted(trails)]), "RegionErrors": region_errors}
