"""Per-resource AWS calls fan out on a bounded pool, throttling slows them instead of failing
the scan, and list/batch APIs replace per-resource calls where they hold the same facts."""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import parse_qs

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.retries import standard

from compliance_app.providers import callchain
from compliance_app.providers.aws import AwsSession
from compliance_app.providers.fanout import FanOutPool, Throttle
from compliance_app.settings import get_settings
from tests.checks_aws.helpers import ERROR, FAIL, PASS, REGION, run

THROTTLED = (b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>'
             b"<Message>Request limit exceeded.</Message></Error></Errors><RequestID>1</RequestID></Response>")


class _Raw:
    """The body botocore reads from an HTTP response."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def _snapshots(n: int) -> list[str]:
    ec2 = boto3.client("ec2", region_name=REGION)
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)["VolumeId"]
    return [ec2.create_snapshot(VolumeId=volume)["SnapshotId"] for _ in range(n)]


def _slow_calls(session: AwsSession, operation: str, seconds: float) -> dict[str, int]:
    """Every `operation` call of the session's EC2 client takes `seconds`; returns the peak in flight."""
    state = {"now": 0, "peak": 0}
    lock = threading.Lock()

    def before(**_: Any) -> None:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(seconds)
        with lock:
            state["now"] -= 1

    session.client("ec2").meta.events.register(f"before-call.ec2.{operation}", before)
    return state


def test_snapshot_attributes_are_read_concurrently(session: AwsSession) -> None:
    """20 attribute calls of 0.1 s each were made one after another (2 s); now many are in flight at once."""
    _snapshots(20)
    state = _slow_calls(session, "DescribeSnapshotAttribute", 0.1)
    findings = run("ec2_ebs_public_snapshot", session)
    assert [f.status for f in findings] == [PASS] * 20
    assert state["peak"] > 8


def test_boto_connection_pool_matches_the_fan_out(session: AwsSession) -> None:
    """Without it botocore keeps 10 connections and discards the rest ('Connection pool is full')."""
    size = get_settings().aws_pool_size
    assert size == 32
    assert session.client("s3").meta.config.max_pool_connections >= size


def test_throttled_snapshot_is_an_error_of_that_snapshot_only(session: AwsSession,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A snapshot whose attribute stays throttled after botocore's retries is ERROR; one throttled
    twice then answered is read; the other snapshots are unaffected."""
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.0)  # keep it quick
    always, flaky, *others = _snapshots(5)
    public = others[0]
    boto3.client("ec2", region_name=REGION).modify_snapshot_attribute(
        SnapshotId=public, Attribute="createVolumePermission", OperationType="add", GroupNames=["all"])
    throttled = {always: 10**6, flaky: 2}
    answered: dict[str, int] = {}

    def throttle(request: Any, **_: Any) -> AWSResponse | None:
        snapshot = parse_qs(request.body.decode() if isinstance(request.body, bytes) else request.body)["SnapshotId"][0]
        answered[snapshot] = answered.get(snapshot, 0) + 1
        if throttled.get(snapshot, 0) > 0:
            throttled[snapshot] -= 1
            return AWSResponse(request.url, 503, {}, _Raw(THROTTLED))
        return None

    session.client("ec2").meta.events.register_first("before-send.ec2.DescribeSnapshotAttribute", throttle)
    findings = {f.resource_id: f for f in run("ec2_ebs_public_snapshot", session)}
    assert findings[always].status == ERROR and "throttled" in findings[always].message
    assert answered[always] == get_settings().aws_max_attempts
    assert findings[flaky].status == PASS and answered[flaky] == 3
    assert findings[public].status == FAIL
    assert {findings[s].status for s in others[1:]} == {PASS}


def test_public_snapshots_are_asked_of_describe_snapshots(session: AwsSession) -> None:
    """RestorableByUserIds=all names the public ones: only those need their attribute confirmed.

    moto ignores the filter (every snapshot comes back), so the stub plays AWS here.
    """
    private, public = _snapshots(2)
    boto3.client("ec2", region_name=REGION).modify_snapshot_attribute(
        SnapshotId=public, Attribute="createVolumePermission", OperationType="add", GroupNames=["all"])
    asked: list[str] = []

    def filtered(params: dict[str, Any], **_: Any) -> None:
        if params.get("RestorableByUserIds") == ["all"]:
            params["SnapshotIds"] = [public]  # what AWS answers: the owned snapshots restorable by all

    def attribute(params: dict[str, Any], **_: Any) -> None:
        asked.append(params["SnapshotId"])

    ec2 = session.client("ec2")
    ec2.meta.events.register("provide-client-params.ec2.DescribeSnapshots", filtered)
    ec2.meta.events.register("provide-client-params.ec2.DescribeSnapshotAttribute", attribute)
    findings = {f.resource_id: f.status for f in run("ec2_ebs_public_snapshot", session)}
    assert findings == {private: PASS, public: FAIL}
    assert asked == [public]


def test_bucket_regions_come_from_list_buckets(session: AwsSession) -> None:
    """ListBuckets asked with a parameter names each bucket's region on AWS: no GetBucketLocation per
    bucket. moto names none, so the stub plays AWS here; without BucketRegion the location is read."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="named-bucket")
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket="other-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    sent: list[dict[str, Any]] = []

    def regions(params: dict[str, Any], **_: Any) -> None:
        sent.append(dict(params))

    def named(parsed: dict[str, Any], **_: Any) -> None:
        if sent[-1].get("MaxBuckets"):  # AWS names the regions only when the request has a parameter
            for bucket in parsed["Buckets"]:
                bucket["BucketRegion"] = "eu-west-1" if bucket["Name"] == "other-bucket" else REGION

    client = session.client("s3")
    client.meta.events.register("provide-client-params.s3.ListBuckets", regions)
    client.meta.events.register("after-call.s3.ListBuckets", named)
    with callchain.recording() as recorder:
        buckets = {b["Name"]: b["Region"] for b in session.collect("s3.buckets")}
    assert buckets == {"named-bucket": REGION, "other-bucket": "eu-west-1"}
    assert not {op for _, op, _ in recorder.calls} & {"GetBucketLocation"}
    assert sent and all(p.get("MaxBuckets") == 10_000 for p in sent)


def test_bucket_regions_are_read_where_list_buckets_does_not_name_them(session: AwsSession) -> None:
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket="other-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with callchain.recording() as recorder:
        buckets = {b["Name"]: b["Region"] for b in session.collect("s3.buckets")}
    assert buckets == {"other-bucket": "eu-west-1"}
    assert [op for _, op, _ in recorder.calls].count("GetBucketLocation") == 1


def test_console_mfa_comes_from_the_credential_report(session: AwsSession) -> None:
    """One report instead of a login-profile and an MFA-device call per user; the evidence says
    when the report was generated."""
    iam = boto3.client("iam", region_name=REGION)
    for name in ("alice", "bob", "carol"):
        iam.create_user(UserName=name)
        iam.create_login_profile(UserName=name, Password="Password-123!")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")
    with callchain.recording() as recorder:
        findings = {f.resource_id.rsplit("/", 1)[-1]: f for f in run("iam_user_mfa_enabled_console_access", session)}
    assert {name: f.status for name, f in findings.items()} == {"alice": PASS, "bob": FAIL, "carol": FAIL}
    assert findings["bob"].raw_data["CredentialReportGeneratedAt"]
    operations = {op for _, op, _ in recorder.calls}
    assert not operations & {"GetLoginProfile", "ListMFADevices"}
    assert "GetCredentialReport" in operations


def test_user_created_after_the_report_is_an_error_not_a_pass(session: AwsSession) -> None:
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="early")
    session.collect("iam.credential_report")
    iam.create_user(UserName="late")
    iam.create_login_profile(UserName="late", Password="Password-123!")
    findings = {f.resource_id.rsplit("/", 1)[-1]: f.status for f in run("iam_user_mfa_enabled_console_access", session)}
    assert findings == {"early": PASS, "late": ERROR}


def test_user_policies_come_from_one_authorization_details_read(session: AwsSession) -> None:
    iam = boto3.client("iam", region_name=REGION)
    for i in range(5):
        iam.create_user(UserName=f"user-{i}")
    iam.put_user_policy(UserName="user-0", PolicyName="inline", PolicyDocument=(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'))
    with callchain.recording() as recorder:
        statuses = [f.status for f in run("iam_policy_attached_only_to_group_or_roles", session)]
    assert sorted(statuses) == [FAIL] + [PASS] * 4
    operations = [op for _, op, _ in recorder.calls]
    assert operations == ["GetAccountAuthorizationDetails"]


def test_nested_fan_out_on_a_saturated_pool_finishes() -> None:
    """Tasks of a one-thread pool that fan out again: a pool whose callers waited for queued
    tasks would deadlock here (the only thread waits on work queued behind it)."""
    pool = FanOutPool(1, "test")
    try:
        def inner(x: int) -> int:
            return sum(pool.map(lambda y: x * y, range(4)))

        done: list[list[int]] = []
        worker = threading.Thread(target=lambda: done.append(pool.map(lambda x: inner(x), range(6))), daemon=True)
        worker.start()
        worker.join(10)
        assert done == [[6 * x for x in range(6)]]
    finally:
        pool.close()


def test_fan_out_continues_the_callers_call_chain() -> None:
    """Each item's calls follow the call that produced the list (critical path for the bench)."""
    pool = FanOutPool(4, "test")
    try:
        with callchain.recording() as recorder:
            callchain.start_chain()
            callchain.record("svc", "List")
            pool.map(lambda i: callchain.record("svc", "Get", str(i)), range(8))
        assert recorder.longest == 2
    finally:
        pool.close()


def test_throttle_slots_go_in_arrival_order() -> None:
    """With every slot taken, callers get freed slots in the order they asked (a racing wake-up let
    one caller wait for seconds behind later ones)."""
    throttle = Throttle(1)
    order: list[int] = []
    holding = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with throttle.slot():
            holding.set()
            release.wait(5)

    def caller(n: int) -> None:
        with throttle.slot():
            order.append(n)

    first = threading.Thread(target=holder)
    first.start()
    assert holding.wait(5)
    callers = []
    for n in range(8):
        thread = threading.Thread(target=caller, args=(n,))
        thread.start()
        callers.append(thread)
        deadline = time.monotonic() + 5
        while len(throttle._queue) < n + 1 and time.monotonic() < deadline:  # queued before the next comes
            time.sleep(0.001)
    release.set()
    for thread in [first, *callers]:
        thread.join(5)
    assert order == list(range(8))
