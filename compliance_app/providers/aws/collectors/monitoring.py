"""Logging and detection collectors (regional): CloudTrail, Config, GuardDuty, Security Hub,
Access Analyzer, CloudWatch Logs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from compliance_app.providers.aws.collectors._registry import collector, paginate
from compliance_app.providers.aws.errors import code
from compliance_app.vocabulary import CollectionError

if TYPE_CHECKING:
    from compliance_app.providers.aws.session import AwsSession


#: What CloudTrail reports of its deliveries to CloudWatch Logs (absent until it has tried one).
_CLOUDWATCH_DELIVERY = ("LatestCloudWatchLogsDeliveryTime", "LatestCloudWatchLogsDeliveryError")


@collector("cloudtrail.trails")
def _cloudtrail_trails(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Trails visible in `region`, including multi-region trails homed elsewhere."""
    ct = s.client("cloudtrail", region)
    trails = ct.describe_trails(includeShadowTrails=True).get("trailList", [])

    def one(t: dict[str, Any]) -> dict[str, Any]:
        trail = {k: t.get(k) for k in ("Name", "TrailARN", "HomeRegion", "IsMultiRegionTrail",
                                       "LogFileValidationEnabled", "KmsKeyId", "S3BucketName",
                                       "CloudWatchLogsLogGroupArn")}
        try:  # an organization trail seen from a member account may refuse its status
            status = ct.get_trail_status(Name=t["TrailARN"])
            trail["IsLogging"] = bool(status.get("IsLogging"))
            trail.update({k: status.get(k) for k in _CLOUDWATCH_DELIVERY if status.get(k)})
        except ClientError as exc:
            trail["IsLogging"] = None
            trail["StatusError"] = s.describe(exc, "cloudtrail", region)
        try:
            selectors = s.collect("cloudtrail.event_selectors", t.get("HomeRegion") or region)
            trail.update(selectors.get(t["TrailARN"]) or {"SelectorsError": "The trail's home region does not "
                                                                            "list it."})
        except CollectionError as exc:
            trail["SelectorsError"] = exc.reason
        return trail

    return s.fan_out(one, trails)


@collector("cloudtrail.event_selectors")
def _cloudtrail_event_selectors(s: AwsSession, region: str) -> dict[str, dict[str, Any]]:
    """{trail ARN: its (advanced) event selectors} for the trails homed in `region`.

    Read once per home region, not once per region that sees a multi-region trail.
    """
    ct = s.client("cloudtrail", region)
    out = {}
    trails = ct.describe_trails(includeShadowTrails=False).get("trailList", [])
    for t, got in zip(trails, s.fan_out(lambda t: ct.get_event_selectors(TrailName=t["TrailARN"]), trails),
                      strict=True):
        out[t["TrailARN"]] = {"EventSelectors": got.get("EventSelectors") or [],
                              "AdvancedEventSelectors": got.get("AdvancedEventSelectors") or []}
    return out


@collector("config.recorders")
def _config_recorders(s: AwsSession, region: str) -> list[dict[str, Any]]:
    cfg = s.client("config", region)
    recorders = cfg.describe_configuration_recorders().get("ConfigurationRecorders", [])
    statuses = {st["name"]: st for st in
                cfg.describe_configuration_recorder_status().get("ConfigurationRecordersStatus", [])}
    return [{"name": r["name"], "recordingGroup": r.get("recordingGroup", {}),
             "recording": bool(statuses.get(r["name"], {}).get("recording")),
             "lastStatus": statuses.get(r["name"], {}).get("lastStatus")} for r in recorders]


@collector("guardduty.detectors")
def _guardduty_detectors(s: AwsSession, region: str) -> list[dict[str, Any]]:
    gd = s.client("guardduty", region)
    return s.fan_out(lambda det_id: {"DetectorId": det_id, "Status": gd.get_detector(DetectorId=det_id).get("Status")},
                     paginate(gd, "list_detectors", "DetectorIds"))


@collector("securityhub.hub")
def _securityhub_hub(s: AwsSession, region: str) -> dict[str, Any]:
    """{} means Security Hub is not enabled in the region; otherwise the hub and its standards."""
    hub_client = s.client("securityhub", region)
    try:
        hub = hub_client.describe_hub()
    except ClientError as exc:
        if code(exc) in {"InvalidAccessException", "ResourceNotFoundException"}:
            return {}
        raise
    out: dict[str, Any] = {"HubArn": hub.get("HubArn"), "SubscribedAt": hub.get("SubscribedAt")}
    try:
        out["Standards"] = [{"StandardsArn": sub.get("StandardsArn"), "StandardsStatus": sub.get("StandardsStatus")}
                            for sub in paginate(hub_client, "get_enabled_standards", "StandardsSubscriptions")]
    except ClientError as exc:
        out["StandardsError"] = s.describe(exc, "securityhub", region)
    return out


@collector("logs.log_groups")
def _log_groups(s: AwsSession, region: str) -> list[dict[str, Any]]:
    groups = paginate(s.client("logs", region), "describe_log_groups", "logGroups")
    return [{"logGroupName": g["logGroupName"], "arn": g.get("arn"),
             "retentionInDays": g.get("retentionInDays"), "kmsKeyId": g.get("kmsKeyId")} for g in groups]


@collector("accessanalyzer.analyzers")
def _access_analyzers(s: AwsSession, region: str) -> list[dict[str, Any]]:
    analyzers = paginate(s.client("accessanalyzer", region), "list_analyzers", "analyzers")
    return [{k: a.get(k) for k in ("name", "arn", "type", "status")} for a in analyzers]
