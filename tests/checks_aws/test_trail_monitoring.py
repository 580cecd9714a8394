"""CloudTrail to CloudWatch Logs, S3 data events, CIS metric filters and log group encryption (moto)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from compliance_app.checks.aws._filter_pattern import PatternError, compile_pattern
from compliance_app.checks.aws._filter_pattern import covers as pattern_covers
from compliance_app.checks.aws.cloudwatch_metric_filters import MetricFilterCheck
from compliance_app.checks.registry import get_check
from compliance_app.providers.aws import AwsSession
from compliance_app.providers.aws.collectors.metric_alarms import log_group_location
from compliance_app.vocabulary import CollectionError
from tests.catalog_cases import covers
from tests.checks_aws.helpers import (
    CREDS,
    ERROR,
    FAIL,
    PASS,
    REGION,
    FakeSession,
    break_client,
    client_error,
    evaluate,
    run,
    status_of,
)

GROUP = "cloudtrail-events"
ROLE = "arn:aws:iam::123456789012:role/CloudTrailToLogs"
#: The published CIS AWS Foundations v3 patterns, as an account would paste them.
CIS_PATTERNS = {
    "cloudwatch_log_metric_filter_unauthorized_api_calls":
        '{(($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*")) && '
        '(($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket"))}',
    "cloudwatch_log_metric_filter_root_usage":
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    "cloudwatch_log_metric_filter_policy_changes":
        "{($.eventSource=iam.amazonaws.com) && (($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||"
        "($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||"
        "($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||"
        "($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||"
        "($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||"
        "($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy))}",
    "cloudwatch_log_metric_filter_security_group_changes":
        "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || "
        "($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || "
        "($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }",
    "cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled":
        "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || "
        "($.eventName = StartLogging) || ($.eventName = StopLogging) }",
}
METRIC_KEYS = sorted(CIS_PATTERNS)


def _trail(*, multi_region: bool = True, cloudwatch: bool = True, selectors: list[dict] | None = None,
           start: bool = True, name: str = "main") -> str:
    """A trail on moto (bucket, log group), optionally sending to CloudWatch Logs; returns its ARN."""
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=f"{name}-trail-logs")
    logs = boto3.client("logs", region_name=REGION)
    extra: dict[str, Any] = {}
    if cloudwatch:
        logs.create_log_group(logGroupName=GROUP)
        arn = logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"][0]["arn"]
        extra = {"CloudWatchLogsLogGroupArn": arn, "CloudWatchLogsRoleArn": ROLE}
    ct = boto3.client("cloudtrail", region_name=REGION)
    trail = ct.create_trail(Name=name, S3BucketName=f"{name}-trail-logs", IsMultiRegionTrail=multi_region,
                            **extra)["TrailARN"]
    if selectors is not None:
        ct.put_event_selectors(TrailName=name, EventSelectors=selectors)
    if start:
        ct.start_logging(Name=name)
    return trail


def _filter(key: str, pattern: str | None = None, *, alarm: bool = True, actions: bool = True) -> None:
    metric = key.removeprefix("cloudwatch_log_metric_filter_")[:40]
    boto3.client("logs", region_name=REGION).put_metric_filter(
        logGroupName=GROUP, filterName=metric, filterPattern=CIS_PATTERNS[key] if pattern is None else pattern,
        metricTransformations=[{"metricName": metric, "metricNamespace": "CISBenchmark", "metricValue": "1"}])
    if alarm:
        topic = boto3.client("sns", region_name=REGION).create_topic(Name="security-alerts")["TopicArn"]
        boto3.client("cloudwatch", region_name=REGION).put_metric_alarm(
            AlarmName=f"{metric}-alarm", MetricName=metric, Namespace="CISBenchmark", Statistic="Sum", Period=300,
            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic] if actions else [])


# -- CloudTrail -> CloudWatch Logs ------------------------------------------------
@covers("cloudtrail_cloudwatch_logging_enabled", "pass", "fail")
def test_trail_sending_to_cloudwatch_passes_and_one_without_fails(session: AwsSession) -> None:
    sending = _trail(name="sending")
    silent = _trail(name="silent", cloudwatch=False)
    findings = run("cloudtrail_cloudwatch_logging_enabled", session)
    assert status_of(findings, sending) == PASS and status_of(findings, silent) == FAIL
    good = next(f for f in findings if f.resource_id == sending)
    assert good.raw_data["CloudWatchLogsLogGroupArn"].endswith(f"log-group:{GROUP}:*")


def test_stale_or_failing_cloudwatch_delivery_fails() -> None:
    base = {"TrailARN": "arn:t", "Name": "t", "HomeRegion": REGION, "IsLogging": True,
            "CloudWatchLogsLogGroupArn": f"arn:aws:logs:{REGION}:123456789012:log-group:{GROUP}:*"}
    stale = base | {"LatestCloudWatchLogsDeliveryTime": datetime.now(UTC) - timedelta(days=3)}
    broken = base | {"LatestCloudWatchLogsDeliveryError": "AccessDeniedException: role cannot write"}
    fresh = base | {"LatestCloudWatchLogsDeliveryTime": datetime.now(UTC) - timedelta(minutes=5)}
    statuses = [evaluate("cloudtrail_cloudwatch_logging_enabled", {REGION: [t]})[0].status
                for t in (stale, broken, fresh, base | {"IsLogging": False})]
    assert statuses == [FAIL, FAIL, PASS, FAIL]


@covers("cloudtrail_cloudwatch_logging_enabled", "error")
def test_unreadable_trails_or_status_are_errors(session: AwsSession) -> None:
    break_client(session, "cloudtrail", client_error("AccessDeniedException", "DescribeTrails"))
    [f] = run("cloudtrail_cloudwatch_logging_enabled", session)
    assert f.status == ERROR and "Access denied" in f.message
    trail = {"TrailARN": "arn:t", "Name": "t", "IsLogging": None, "StatusError": "Access denied calling GetTrailStatus",
             "CloudWatchLogsLogGroupArn": "arn:aws:logs:us-east-1:1:log-group:g:*"}
    [f] = evaluate("cloudtrail_cloudwatch_logging_enabled", {REGION: [trail]})
    assert f.status == ERROR and "GetTrailStatus" in f.message


# -- S3 data events ------------------------------------------------------------------
ALL_OBJECTS = [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]


@covers(["cloudtrail_s3_dataevents_read_enabled", "cloudtrail_s3_dataevents_write_enabled"], "pass", "fail")
def test_data_events_by_direction(session: AwsSession) -> None:
    _trail(cloudwatch=False, selectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True,
                                         "DataResources": ALL_OBJECTS}])
    [read] = run("cloudtrail_s3_dataevents_read_enabled", session)
    [write] = run("cloudtrail_s3_dataevents_write_enabled", session)
    assert (read.status, write.status) == (FAIL, PASS)
    assert "main" in write.message and read.resource_id == "account"


def _with(basic: list[dict] | None = None, advanced: list[dict] | None = None, **over: Any) -> dict[str, list]:
    trail = {"TrailARN": "arn:t", "Name": "t", "IsMultiRegionTrail": True, "IsLogging": True,
             "EventSelectors": basic or [], "AdvancedEventSelectors": advanced or []} | over
    return {REGION: [trail]}


def _adv(*fields: tuple[str, str, list[str]]) -> list[dict]:
    return [{"Name": "s3", "FieldSelectors": [{"Field": f, op: values} for f, op, values in fields]}]


@pytest.mark.parametrize(("trails", "read", "write"), [
    (_with(advanced=_adv(("eventCategory", "Equals", ["Data"]), ("resources.type", "Equals", ["AWS::S3::Object"]))),
     PASS, PASS),
    (_with(advanced=_adv(("eventCategory", "Equals", ["Data"]), ("resources.type", "Equals", ["AWS::S3::Object"]),
                         ("readOnly", "Equals", ["true"]))), PASS, FAIL),
    (_with(advanced=_adv(("eventCategory", "Equals", ["Data"]), ("resources.type", "Equals", ["AWS::S3::Object"]),
                         ("resources.ARN", "StartsWith", ["arn:aws:s3:::one-bucket/"]))), FAIL, FAIL),
    (_with(advanced=_adv(("eventCategory", "Equals", ["Data"]), ("resources.type", "Equals", ["AWS::S3::Object"]),
                         ("eventName", "Equals", ["PutObject"]))), FAIL, FAIL),
    (_with(basic=[{"ReadWriteType": "All", "DataResources": [{"Type": "AWS::S3::Object",
                                                               "Values": ["arn:aws:s3:::one-bucket/"]}]}]), FAIL, FAIL),
    (_with(basic=[{"ReadWriteType": "All", "DataResources": ALL_OBJECTS}], IsMultiRegionTrail=False), FAIL, FAIL),
    (_with(basic=[{"ReadWriteType": "All", "DataResources": ALL_OBJECTS}], IsLogging=False), FAIL, FAIL),
])
def test_data_event_selectors_must_cover_every_bucket(trails: dict, read: Any, write: Any) -> None:
    assert evaluate("cloudtrail_s3_dataevents_read_enabled", trails)[0].status == read
    assert evaluate("cloudtrail_s3_dataevents_write_enabled", trails)[0].status == write


@covers(["cloudtrail_s3_dataevents_read_enabled", "cloudtrail_s3_dataevents_write_enabled"], "error")
def test_unreadable_selectors_are_errors_not_failures(session: AwsSession) -> None:
    trails = _with(IsLogging=None, StatusError="Access denied calling cloudtrail:GetTrailStatus")
    for key in ("cloudtrail_s3_dataevents_read_enabled", "cloudtrail_s3_dataevents_write_enabled"):
        [f] = evaluate(key, trails)
        assert f.status == ERROR and "GetTrailStatus" in f.message
    break_client(session, "cloudtrail", client_error("AccessDeniedException", "DescribeTrails"))
    [f] = run("cloudtrail_s3_dataevents_read_enabled", session)
    assert f.status == ERROR and f.resource_id == f"region/{REGION}"


# -- CIS metric filters + alarms -----------------------------------------------------
@pytest.mark.parametrize("key", METRIC_KEYS)
def test_cis_pattern_satisfies_its_own_check_only(key: str) -> None:
    check = get_check(key)
    assert isinstance(check, MetricFilterCheck)
    assert pattern_covers(CIS_PATTERNS[key], check.must_match, check.routine) == (True, "")
    others = [k for k in METRIC_KEYS if k != key]
    assert not any(pattern_covers(CIS_PATTERNS[key], get_check(k).must_match, get_check(k).routine)[0]
                   for k in others)


@covers(METRIC_KEYS, "pass")
@pytest.mark.parametrize("key", METRIC_KEYS)
def test_cis_filter_with_alarm_passes(session: AwsSession, key: str) -> None:
    _trail()
    _filter(key)
    [f] = run(key, session)
    assert f.status == PASS, f.message
    assert f.raw_data["Alarm"]["AlarmActions"] and f.raw_data["LogGroup"]["Name"] == GROUP


@covers(METRIC_KEYS, "fail")
@pytest.mark.parametrize("key", METRIC_KEYS)
def test_filter_without_alarm_action_fails(session: AwsSession, key: str) -> None:
    _trail()
    _filter(key, actions=False)
    [f] = run(key, session)
    assert f.status == FAIL and "no alarm with an enabled action" in f.message


def test_same_filter_on_a_single_region_trail_fails(session: AwsSession) -> None:
    key = "cloudwatch_log_metric_filter_root_usage"
    _trail(multi_region=False)
    _filter(key)
    [f] = run(key, session)
    assert f.status == FAIL and "no multi-region trail" in f.message


@pytest.mark.parametrize(("pattern", "status", "why"), [
    ('{ $.userIdentity.type = "Root" && $.eventName = "ConsoleLogin" }', FAIL, "does not match CreateUser by Root"),
    ('{ $.eventName = "*" }', FAIL, "also matches routine events"),
    ("", FAIL, "also matches routine events"),  # CloudWatch's empty pattern matches everything
    ("Root", ERROR, "cannot read (not a JSON filter pattern"),
    ('{ $.userIdentity.type = "Root" && }', ERROR, "cannot read"),
])
def test_narrowed_catch_all_or_unreadable_root_filters(session: AwsSession, pattern: str, status: Any,
                                                       why: str) -> None:
    """A filter that misses events or catches everything fails; one the reader cannot parse is ERROR."""
    key = "cloudwatch_log_metric_filter_root_usage"
    _trail()
    _filter(key, pattern)
    [f] = run(key, session)
    assert f.status == status and why in f.message


@covers(METRIC_KEYS, "error")
@pytest.mark.parametrize("key", METRIC_KEYS)
def test_unreadable_filters_are_errors(session: AwsSession, key: str) -> None:
    _trail()
    break_client(session, "logs", client_error("AccessDeniedException", "DescribeMetricFilters"))
    [f] = run(key, session)
    assert f.status == ERROR and "DescribeMetricFilters" in f.message


def test_unreadable_region_is_an_error_unless_another_trail_passes() -> None:
    key = "cloudwatch_log_metric_filter_policy_changes"
    unreadable = {"Trails": [], "RegionErrors": {"eu-west-1": "Access denied calling cloudtrail:DescribeTrails"}}
    [f] = get_check(key).run(FakeSession({"cloudtrail.cloudwatch_monitoring": unreadable}))
    assert f.status == ERROR and "eu-west-1" in f.message
    [f] = get_check(key).run(FakeSession({"cloudtrail.cloudwatch_monitoring": CollectionError("denied")}))
    assert f.status == ERROR


def test_filter_pattern_grammar() -> None:
    match = compile_pattern('{ ($.a.b = "x*") && ($.n >= 3 || $.flag = true) && $.gone NOT EXISTS }')
    assert match({"a": {"b": "xyz"}, "n": 4, "flag": False})
    assert match({"a": {"b": "xyz"}, "n": 1, "flag": True})
    assert not match({"a": {"b": "xyz"}, "n": 1, "flag": False})
    assert not match({"a": {"b": "xyz"}, "n": 4, "gone": 1})
    assert compile_pattern("  ")({"anything": 1})
    for bad in ("{}", "{ $.a = }", "{ ($.a = 1 }", "{ a = 1 }", "{ $.a = 1 ) }"):
        with pytest.raises(PatternError):
            compile_pattern(bad)


# -- log group encryption ---------------------------------------------------------------
@covers("cloudwatch_log_group_kms_encryption_enabled", "pass", "fail")
def test_log_group_kms_encryption(session: AwsSession) -> None:
    logs = boto3.client("logs", region_name=REGION)
    key = boto3.client("kms", region_name=REGION).create_key(
        Policy=json.dumps({"Version": "2012-10-17", "Statement": []}))["KeyMetadata"]["Arn"]
    logs.create_log_group(logGroupName="encrypted", kmsKeyId=key)
    logs.create_log_group(logGroupName="plain")
    findings = run("cloudwatch_log_group_kms_encryption_enabled", session)
    assert status_of(findings, ":encrypted") == PASS and status_of(findings, ":plain") == FAIL
    assert next(f for f in findings if ":encrypted" in f.resource_id).raw_data["kmsKeyId"] == key


@covers("cloudwatch_log_group_kms_encryption_enabled", "error")
def test_unreadable_log_groups_are_an_error(session: AwsSession) -> None:
    break_client(session, "logs", client_error("AccessDeniedException", "DescribeLogGroups"))
    [f] = run("cloudwatch_log_group_kms_encryption_enabled", session)
    assert f.status == ERROR and f.region == REGION and "DescribeLogGroups" in f.message


def test_log_group_in_another_region_is_read_there(aws: None) -> None:
    """Filters and alarms live in the log group's region, not the trail's home region."""
    other = "eu-west-1"
    logs = boto3.client("logs", region_name=other)
    logs.create_log_group(logGroupName=GROUP)
    arn = logs.describe_log_groups()["logGroups"][0]["arn"]
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="org-trail-logs")
    ct = boto3.client("cloudtrail", region_name=REGION)
    ct.create_trail(Name="org", S3BucketName="org-trail-logs", IsMultiRegionTrail=True,
                    CloudWatchLogsLogGroupArn=arn, CloudWatchLogsRoleArn=ROLE)
    ct.start_logging(Name="org")
    key = "cloudwatch_log_metric_filter_security_group_changes"
    logs.put_metric_filter(logGroupName=GROUP, filterName="sg", filterPattern=CIS_PATTERNS[key],
                           metricTransformations=[{"metricName": "sg", "metricNamespace": "CIS", "metricValue": "1"}])
    boto3.client("cloudwatch", region_name=other).put_metric_alarm(
        AlarmName="sg", MetricName="sg", Namespace="CIS", Statistic="Sum", Period=300, EvaluationPeriods=1,
        Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[f"arn:aws:sns:{other}:123456789012:alerts"])
    session = AwsSession({"regions": [REGION, other]}, CREDS)
    [f] = run(key, session)
    session.close()
    assert f.status == PASS and f.region == other and f.raw_data["LogGroup"] == {"Region": other, "Name": GROUP}
    assert log_group_location("arn:aws:s3:::bucket") is None


def test_many_unrelated_filters_keep_the_message_short() -> None:
    key = "cloudwatch_log_metric_filter_root_usage"
    trail = {"TrailARN": "arn:t", "Name": "org", "IsMultiRegionTrail": True, "IsLogging": True,
             "LogGroup": {"Region": REGION, "Name": GROUP}, "Alarms": [],
             "MetricFilters": [{"filterName": f"app-{i}", "filterPattern": '{ $.level = "ERROR" }'} for i in range(30)]}
    [f] = evaluate(key, {"Trails": [trail], "RegionErrors": {}})
    assert f.status == FAIL and "and 26 more (listed in the evidence)" in f.message
    assert len(f.raw_data["Checked"]) == 30
