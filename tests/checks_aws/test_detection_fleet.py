"""GuardDuty findings, Systems Manager coverage and patching, WAFv2 and Redshift logging.

moto 5.2 emulates detectors, EC2 instances, WAFv2 logging and Redshift logging, but not
GuardDuty's ListFindings/GetFindings nor SSM's DescribeInstanceInformation and
ListResourceComplianceSummaries: those calls are answered with API-shaped data by an
overlay on the moto client (`Overlay`), so the collectors still run end to end, and the
request each one sends (the finding criteria, the compliance filter) is asserted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from compliance_app.providers.aws import AwsSession
from compliance_app.providers.aws.collectors.guardduty_findings import HIGH_SEVERITY, MAX_IDS
from tests.catalog_cases import covers
from tests.checks_aws.helpers import ERROR, FAIL, PASS, REGION, break_client, client_error, evaluate, run, status_of

AMI = "ami-12c6146b"


class _Pages:
    def __init__(self, call: Callable[..., dict[str, Any]]) -> None:
        self.call = call

    def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
        return [self.call(**kwargs)]


class Overlay:
    """A moto client with some operations answered by `calls` (for what moto does not emulate)."""

    def __init__(self, real: Any, **calls: Callable[..., dict[str, Any]]) -> None:
        self.real, self.calls = real, calls

    def __getattr__(self, name: str) -> Any:
        return self.calls.get(name) or getattr(self.real, name)

    def get_paginator(self, op: str) -> Any:
        return _Pages(self.calls[op]) if op in self.calls else self.real.get_paginator(op)


def overlay(session: AwsSession, service: str, **calls: Callable[..., dict[str, Any]]) -> None:
    session._clients[(service, REGION)] = Overlay(session.client(service, REGION), **calls)


# -- GuardDuty ------------------------------------------------------------------------------
@covers("guardduty_no_high_severity_findings", "pass", "fail")
def test_open_high_findings_fail_their_detector(session: AwsSession) -> None:
    gd = boto3.client("guardduty", region_name=REGION)
    quiet = gd.create_detector(Enable=True)["DetectorId"]
    noisy = gd.create_detector(Enable=True)["DetectorId"]
    asked: list[dict[str, Any]] = []

    def list_findings(**kwargs: Any) -> dict[str, Any]:
        asked.append(kwargs)
        return {"FindingIds": ["f-1", "f-2"] if kwargs["DetectorId"] == noisy else []}

    def get_findings(DetectorId: str, FindingIds: list[str]) -> dict[str, Any]:
        return {"Findings": [{"Id": i, "Type": "CryptoCurrency:EC2/BitcoinTool.B!DNS", "Title": "Bitcoin mining",
                              "Severity": 8.0, "Resource": {"ResourceType": "Instance"}} for i in FindingIds]}

    overlay(session, "guardduty", list_findings=list_findings, get_findings=get_findings)
    findings = run("guardduty_no_high_severity_findings", session)
    assert status_of(findings, quiet) == PASS and status_of(findings, noisy) == FAIL
    bad = next(f for f in findings if noisy in f.resource_id)
    assert bad.raw_data["OpenHighFindings"] == 2 and "CryptoCurrency" in bad.message
    assert asked[0]["FindingCriteria"]["Criterion"] == {"severity": {"GreaterThanOrEqual": HIGH_SEVERITY},
                                                        "service.archived": {"Equals": ["false"]}}


def test_many_findings_are_counted_up_to_a_bound() -> None:
    detector = {"DetectorId": "d", "Status": "ENABLED", "HighFindingIds": [f"f{i}" for i in range(MAX_IDS)],
                "Truncated": True, "Sample": []}
    [f] = evaluate("guardduty_no_high_severity_findings", [detector], REGION)
    assert f.status == FAIL and f"at least {MAX_IDS}" in f.message


def test_no_detector_is_nothing_in_scope(session: AwsSession) -> None:
    assert run("guardduty_no_high_severity_findings", session) == []


@covers("guardduty_no_high_severity_findings", "error")
def test_unreadable_findings_are_an_error(session: AwsSession) -> None:
    boto3.client("guardduty", region_name=REGION).create_detector(Enable=True)
    denied = client_error("AccessDeniedException", "ListFindings")

    def list_findings(**kwargs: Any) -> dict[str, Any]:
        raise denied

    overlay(session, "guardduty", list_findings=list_findings)
    [f] = run("guardduty_no_high_severity_findings", session)
    assert f.status == ERROR and "ListFindings" in f.message and f.region == REGION


# -- Systems Manager ----------------------------------------------------------------------------
def _instances(n: int) -> list[str]:
    ec2 = boto3.client("ec2", region_name=REGION)
    return [i["InstanceId"] for i in ec2.run_instances(ImageId=AMI, MinCount=n, MaxCount=n)["Instances"]]


@covers("ec2_instance_managed_by_ssm", "pass", "fail")
def test_instances_must_be_managed_and_online(session: AwsSession) -> None:
    online, lost, unmanaged, stopped = _instances(4)
    boto3.client("ec2", region_name=REGION).stop_instances(InstanceIds=[stopped])

    def describe(**kwargs: Any) -> dict[str, Any]:
        return {"InstanceInformationList": [{"InstanceId": online, "PingStatus": "Online"},
                                            {"InstanceId": lost, "PingStatus": "ConnectionLost"}]}

    overlay(session, "ssm", describe_instance_information=describe)
    findings = run("ec2_instance_managed_by_ssm", session)
    assert [status_of(findings, i) for i in (online, lost, unmanaged)] == [PASS, FAIL, FAIL]
    assert not [f for f in findings if f.resource_id == stopped]


@covers("ec2_instance_managed_by_ssm", "error")
def test_unreadable_ssm_inventory_is_an_error(session: AwsSession) -> None:
    _instances(1)
    break_client(session, "ssm", client_error("AccessDeniedException", "DescribeInstanceInformation"))
    [f] = run("ec2_instance_managed_by_ssm", session)
    assert f.status == ERROR and "DescribeInstanceInformation" in f.message


@covers("ssm_managed_compliant_patching", "pass", "fail")
def test_patch_compliance_per_node(session: AwsSession) -> None:
    asked: list[dict[str, Any]] = []

    def summaries(**kwargs: Any) -> dict[str, Any]:
        asked.append(kwargs)
        return {"ResourceComplianceSummaryItems": [
            {"ComplianceType": "Patch", "ResourceType": "ManagedInstance", "ResourceId": "i-patched",
             "Status": "COMPLIANT", "OverallSeverity": "UNSPECIFIED", "CompliantSummary": {"CompliantCount": 40}},
            {"ComplianceType": "Patch", "ResourceType": "ManagedInstance", "ResourceId": "i-behind",
             "Status": "NON_COMPLIANT", "OverallSeverity": "CRITICAL",
             "NonCompliantSummary": {"NonCompliantCount": 3}}]}

    overlay(session, "ssm", list_resource_compliance_summaries=summaries)
    findings = run("ssm_managed_compliant_patching", session)
    assert status_of(findings, "i-patched") == PASS and status_of(findings, "i-behind") == FAIL
    assert "3 patch(es) missing, highest severity CRITICAL" in next(f.message for f in findings
                                                                     if f.resource_id == "i-behind")
    assert asked[0]["Filters"] == [{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}]


@covers("ssm_managed_compliant_patching", "error")
def test_unreadable_patch_compliance_is_an_error(session: AwsSession) -> None:
    break_client(session, "ssm", client_error("AccessDeniedException", "ListResourceComplianceSummaries"))
    [f] = run("ssm_managed_compliant_patching", session)
    assert f.status == ERROR and "ListResourceComplianceSummaries" in f.message


# -- WAFv2 -----------------------------------------------------------------------------------------
def _web_acl(name: str, scope: str = "REGIONAL") -> str:
    return boto3.client("wafv2", region_name=REGION).create_web_acl(
        Name=name, Scope=scope, DefaultAction={"Allow": {}},
        VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name},
    )["Summary"]["ARN"]


@covers("wafv2_webacl_logging_enabled", "pass", "fail")
def test_web_acl_logging(session: AwsSession) -> None:
    logged, silent, edge = _web_acl("logged"), _web_acl("silent"), _web_acl("edge", "CLOUDFRONT")
    destination = f"arn:aws:logs:{REGION}:123456789012:log-group:aws-waf-logs-main"
    boto3.client("wafv2", region_name=REGION).put_logging_configuration(
        LoggingConfiguration={"ResourceArn": logged, "LogDestinationConfigs": [destination]})
    findings = run("wafv2_webacl_logging_enabled", session)
    assert [status_of(findings, a) for a in (logged, silent, edge)] == [PASS, FAIL, FAIL]
    assert "cloudfront web ACL edge" in next(f.message for f in findings if f.resource_id == edge)


@covers("wafv2_webacl_logging_enabled", "error")
def test_unreadable_web_acl_logging_is_an_error(session: AwsSession) -> None:
    acl = _web_acl("guarded")

    def denied(**kwargs: Any) -> dict[str, Any]:
        raise client_error("AccessDeniedException", "GetLoggingConfiguration")

    overlay(session, "wafv2", get_logging_configuration=denied)
    findings = run("wafv2_webacl_logging_enabled", session)
    assert status_of(findings, acl) == ERROR
    session.close()
    break_client(session, "wafv2", client_error("WAFInternalErrorException", "ListWebACLs"))
    [f] = run("wafv2_webacl_logging_enabled", session)
    assert f.status == ERROR and f.resource_id == f"region/{REGION}"


# -- Redshift ------------------------------------------------------------------------------------------
def _cluster(name: str) -> None:
    boto3.client("redshift", region_name=REGION).create_cluster(
        ClusterIdentifier=name, NodeType="ra3.xlplus", MasterUsername="admin", MasterUserPassword="Passw0rd-long")


@covers("redshift_cluster_audit_logging", "pass", "fail")
def test_redshift_audit_logging(session: AwsSession) -> None:
    _cluster("audited")
    _cluster("silent")
    boto3.client("redshift", region_name=REGION).enable_logging(
        ClusterIdentifier="audited", LogDestinationType="cloudwatch",
        LogExports=["connectionlog", "userlog", "useractivitylog"])
    findings = run("redshift_cluster_audit_logging", session)
    assert status_of(findings, "audited") == PASS and status_of(findings, "silent") == FAIL


@covers("redshift_cluster_audit_logging", "error")
@pytest.mark.parametrize("broken", ["DescribeClusters", "DescribeLoggingStatus"])
def test_unreadable_redshift_logging_is_an_error(session: AwsSession, broken: str) -> None:
    _cluster("guarded")
    error = client_error("AccessDenied", broken)
    if broken == "DescribeClusters":
        break_client(session, "redshift", error)
    else:
        def denied(**kwargs: Any) -> dict[str, Any]:
            raise error
        overlay(session, "redshift", describe_logging_status=denied)
    [f] = run("redshift_cluster_audit_logging", session)
    assert f.status == ERROR and broken in f.message
