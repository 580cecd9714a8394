"""CIS 4.x: CloudTrail events that must raise an alarm (metric filter + alarm with an action).

Each control passes when one trail that logs every management event of every region sends
them to a CloudWatch log group whose metric filter catches the control's events (read
semantically, see _filter_pattern.py) and an alarm with an enabled action watches the
filter's metric. The sample events below are what the public CIS patterns are written to
catch; the "routine" event is what a filter must not match (a catch-all would page on
every API call).
"""

from __future__ import annotations

from typing import Any, ClassVar

from compliance_app.checks.aws._common import ACCOUNT, AwsCheck, failed, frameworks, passed
from compliance_app.checks.aws._filter_pattern import Event, PatternError, covers
from compliance_app.checks.aws.cloudtrail import logs_all_management_events
from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity


def _event(name: str, source: str, identity: str = "IAMUser", **extra: Any) -> Event:
    return {"eventVersion": "1.08", "eventName": name, "eventSource": source, "eventType": "AwsApiCall",
            "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.10", "userIdentity": {"type": identity},
            **extra}


def _calls(source: str, *names: str) -> list[Event]:
    return [_event(name, source) for name in names]


_REMEDIATION = ("CloudWatch > Log groups > <the trail's log group> > Metric filters > Create metric filter with the "
                "pattern {pattern}, then Create alarm on its metric (threshold >= 1) notifying an SNS topic with "
                "a subscriber; or `aws logs put-metric-filter --log-group-name <group> --filter-name {name} "
                "--metric-transformations metricName={name},metricNamespace=CISBenchmark,metricValue=1 "
                "--filter-pattern '{pattern}'` and `aws cloudwatch put-metric-alarm --alarm-name {name} "
                "--metric-name {name} --namespace CISBenchmark --statistic Sum --period 300 --threshold 1 "
                "--comparison-operator GreaterThanOrEqualToThreshold --evaluation-periods 1 "
                "--alarm-actions <sns-topic-arn>`. The trail must be multi-region and send to that log group "
                "(`aws cloudtrail update-trail --name <trail> --cloud-watch-logs-log-group-arn <arn> "
                "--cloud-watch-logs-role-arn <role-arn>`).")


def _summary(items: list[str], shown: int = 4) -> str:
    """The first few reasons; an account with dozens of filters keeps the full list in the evidence."""
    more = f"; and {len(items) - shown} more (listed in the evidence)" if len(items) > shown else ""
    return "; ".join(items[:shown]) + more


def _alarm_on(metric: dict[str, Any], alarms: list[dict[str, Any]]) -> dict[str, Any] | None:
    """An alarm on the filter's metric whose actions are enabled and notify someone."""
    for alarm in alarms:
        if (alarm.get("MetricName") == metric.get("metricName") and alarm.get("Namespace") ==
                metric.get("metricNamespace") and alarm.get("ActionsEnabled", True) and alarm.get("AlarmActions")):
            return alarm
    return None


class MetricFilterCheck(AwsCheck):
    """One finding for the account: PASS names the trail, filter and alarm that do the job."""

    collectors = ("cloudtrail.cloudwatch_monitoring",)
    #: What the filter is for, in the messages ("unauthorized API calls").
    subject: ClassVar[str]
    must_match: ClassVar[list[Event]]
    routine: ClassVar[list[Event]]

    def evaluate(self, monitoring: dict[str, Any]) -> list[Finding]:
        notes: list[str] = []
        unknown: list[str] = [f"trails of {region} unreadable: {reason}"
                              for region, reason in sorted(monitoring.get("RegionErrors", {}).items())]
        for trail in monitoring.get("Trails", []):
            name = trail.get("Name")
            if not trail.get("IsMultiRegionTrail"):
                continue
            if trail.get("IsLogging") is None or trail.get("SelectorsError"):
                unknown.append(f"trail {name}: {trail.get('StatusError') or trail.get('SelectorsError')}")
                continue
            if not (trail["IsLogging"] and logs_all_management_events(trail)):
                notes.append(f"trail {name} is not logging all management events")
                continue
            if not trail.get("LogGroup"):
                notes.append(f"trail {name} sends no events to CloudWatch Logs")
                continue
            if trail.get("MonitoringError"):
                unknown.append(f"log group of trail {name}: {trail['MonitoringError']}")
                continue
            found = self._verdict(trail, notes, unknown)
            if found:
                return [found]
        raw = {"Checked": notes, "Unreadable": unknown}
        if unknown:
            elsewhere = f" (elsewhere: {_summary(notes)})" if notes else ""
            return [Finding(ACCOUNT, EvidenceStatus.ERROR, f"Could not read whether {self.subject} raise an alarm: "
                                                           f"{_summary(unknown)}{elsewhere}.", raw)]
        reason = _summary(notes) if notes else "no multi-region trail is logging"
        return [failed(ACCOUNT, f"No CloudWatch alarm is raised on {self.subject}: {reason}.", raw)]

    def _verdict(self, trail: dict[str, Any], notes: list[str], unknown: list[str]) -> Finding | None:
        """PASS for the first filter of the trail's log group that covers the events and is alarmed.

        Why the others do not is added to `notes`; a pattern the reader does not understand goes to
        `unknown` (without a passing filter the verdict is then ERROR, not FAIL).
        """
        group = trail["LogGroup"]
        matching = []
        for f in trail.get("MetricFilters") or []:
            try:
                ok, why = covers(f.get("filterPattern") or "", self.must_match, self.routine)
            except PatternError as exc:
                unknown.append(f"filter {f.get('filterName')} on {group['Name']} has a pattern this check cannot "
                               f"read ({exc}): review it by hand")
                continue
            if not ok:
                notes.append(f"filter {f.get('filterName')} on {group['Name']} {why}")
                continue
            matching.append(f)
            for metric in f.get("metricTransformations") or []:
                alarm = _alarm_on(metric, trail.get("Alarms") or [])
                if alarm:
                    return passed(ACCOUNT, f"{self.subject[0].upper()}{self.subject[1:]} raise alarm "
                                  f"{alarm['AlarmName']}: trail {trail['Name']} sends them to log group "
                                  f"{group['Name']}, whose metric filter {f.get('filterName')} counts them.",
                                  {"Trail": trail["Name"], "LogGroup": group, "MetricFilter": f,
                                   "Alarm": alarm}, group["Region"])
        if not trail.get("MetricFilters"):
            notes.append(f"log group {group['Name']} of trail {trail['Name']} has no metric filter")
        for f in matching:
            notes.append(f"filter {f.get('filterName')} on {group['Name']} has no alarm with an enabled action "
                         f"on its metric")
        return None


def _meta(key: str, title: str, cis: str, rationale: str, name: str, pattern: str) -> CheckMeta:
    return CheckMeta(key=key, title=title, provider=Provider.AWS, service="cloudwatch", severity=Severity.MEDIUM,
                     frameworks=frameworks(["CC7.2"], ["8.15", "8.16"], [cis]), rationale=rationale,
                     remediation=_REMEDIATION.format(name=name, pattern=pattern))


class cloudwatch_log_metric_filter_unauthorized_api_calls(MetricFilterCheck):
    meta = _meta(
        "cloudwatch_log_metric_filter_unauthorized_api_calls",
        "Unauthorized API calls raise a CloudWatch alarm", "4.1",
        "A burst of AccessDenied or UnauthorizedOperation errors is often the first trace of stolen "
        "credentials being tried, or of a broken deployment; an alarm makes someone look.",
        "UnauthorizedAPICalls",
        '{($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")}')
    subject = "unauthorized API calls"
    must_match: ClassVar[list[Event]] = [
        _event("RunInstances", "ec2.amazonaws.com", errorCode="Client.UnauthorizedOperation"),
        _event("DescribeInstances", "ec2.amazonaws.com", errorCode="UnauthorizedOperation"),
        _event("ListBuckets", "s3.amazonaws.com", errorCode="AccessDenied"),
        _event("GetSecretValue", "secretsmanager.amazonaws.com", errorCode="AccessDeniedException")]
    routine: ClassVar[list[Event]] = [_event("DescribeInstances", "ec2.amazonaws.com")]


class cloudwatch_log_metric_filter_root_usage(MetricFilterCheck):
    meta = _meta(
        "cloudwatch_log_metric_filter_root_usage",
        "Use of the root user raises a CloudWatch alarm", "4.3",
        "The root user cannot be limited by IAM policies; any use of it should be rare, deliberate and "
        "noticed at once.",
        "RootAccountUsage",
        '{$.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType != "AwsServiceEvent"}')
    subject = "uses of the root user"
    must_match: ClassVar[list[Event]] = [
        _event("CreateUser", "iam.amazonaws.com", "Root"),
        _event("ConsoleLogin", "signin.amazonaws.com", "Root", eventType="AwsConsoleSignIn")]
    routine: ClassVar[list[Event]] = [_event("CreateUser", "iam.amazonaws.com"),
                                      _event("Decrypt", "kms.amazonaws.com", "Root", eventType="AwsServiceEvent",
                                             userIdentity={"type": "Root", "invokedBy": "AWS Internal"})]


_POLICY_EVENTS = ("DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
                  "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
                  "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy",
                  "AttachGroupPolicy", "DetachGroupPolicy")


class cloudwatch_log_metric_filter_policy_changes(MetricFilterCheck):
    meta = _meta(
        "cloudwatch_log_metric_filter_policy_changes",
        "IAM policy changes raise a CloudWatch alarm", "4.4",
        "Changing a policy is how access is granted, widened or hidden; an alarm on every change lets "
        "someone confirm it was intended.",
        "IAMPolicyChanges",
        "{" + " || ".join(f"($.eventName = {name})" for name in _POLICY_EVENTS) + "}")
    subject = "IAM policy changes"
    must_match: ClassVar[list[Event]] = _calls("iam.amazonaws.com", *_POLICY_EVENTS)
    routine: ClassVar[list[Event]] = _calls("iam.amazonaws.com", "ListPolicies", "GetPolicyVersion")


_SG_EVENTS = ("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
              "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup")


class cloudwatch_log_metric_filter_security_group_changes(MetricFilterCheck):
    meta = _meta(
        "cloudwatch_log_metric_filter_security_group_changes",
        "Security group changes raise a CloudWatch alarm", "4.10",
        "A security group rule is what exposes a server to the internet; an alarm on every change catches "
        "an accidental or malicious opening while it is still new.",
        "SecurityGroupChanges",
        "{" + " || ".join(f"($.eventName = {name})" for name in _SG_EVENTS) + "}")
    subject = "security group changes"
    must_match: ClassVar[list[Event]] = _calls("ec2.amazonaws.com", *_SG_EVENTS)
    routine: ClassVar[list[Event]] = _calls("ec2.amazonaws.com", "DescribeSecurityGroups")


_TRAIL_EVENTS = ("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")


class cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled(MetricFilterCheck):
    meta = _meta(
        "cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled",
        "CloudTrail configuration changes raise a CloudWatch alarm", "4.5",
        "Stopping or changing a trail is what an intruder does first to work unseen; an alarm on it "
        "keeps the audit trail from being switched off quietly.",
        "CloudTrailChanges",
        "{" + " || ".join(f"($.eventName = {name})" for name in _TRAIL_EVENTS) + "}")
    subject = "CloudTrail configuration changes"
    must_match: ClassVar[list[Event]] = _calls("cloudtrail.amazonaws.com", *_TRAIL_EVENTS)
    routine: ClassVar[list[Event]] = _calls("cloudtrail.amazonaws.com", "DescribeTrails", "LookupEvents")
