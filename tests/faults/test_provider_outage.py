"""Provider outages. AWS answering 500/503 and throttling, GitHub answering 502
and secondary rate limits with Retry-After, injected on loopback in front of the stand-ins.

Each outage hits one API, for half the retry budget (every call of that API fails its first
attempts, then succeeds: the scan recovers with no ERROR) or for twice the budget (every
attempt fails: bounded retries, then ERROR evidence naming the outage for the checks that
need that API only; every other check gives what a clean scan gives; the audit completes).
The scan after the outage ends matches the clean one. The backoff is shrunk through settings
so the retries take milliseconds; the attempts are the production defaults.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import Counter
from collections.abc import Iterator

import boto3
import pytest
from moto.ec2.responses.elastic_block_store import ElasticBlockStore
from moto.s3.responses import S3Response
from moto.server import ThreadedMotoServer

from bench import _moto_aws_like as aws_like
from bench._latency_proxy import Forwarded, LatencyProxy
from compliance_app.checks.base import Check
from compliance_app.checks.registry import checks_for
from compliance_app.models import Audit, AuditStatus, EvidenceStatus, Provider
from compliance_app.services import audit_queue, engine, integrations, scans
from compliance_app.services.authz import Actor
from compliance_app.settings import get_settings
from tests.factories import actor_for, make_org, make_user
from tests.faults.ledger import read_ledger
from tests.scans.helpers import WORKER, evidence_of, load_audit
from tests.support.github_server import GitHubServer

REGION = "us-east-1"
CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
ERROR = EvidenceStatus.ERROR


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Production attempts, waits shrunk (AWS: a hundredth of botocore's; GitHub: 10 ms doubling)."""
    monkeypatch.setenv("AWS_RETRY_BACKOFF", "0.01")
    monkeypatch.setenv("GITHUB_RETRY_BACKOFF", "0.01")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


class AwsOutage:
    """Answers calls of `service` whose operation matches `operation` with an AWS error.

    Each distinct call (same operation and parameters: a retry is the same call) fails its
    first `failures` attempts, then reaches moto.
    """

    def __init__(self, service: str, operation: str, status: int, code: str, failures: int) -> None:
        self.service, self.operation, self.status, self.code = service, re.compile(operation), status, code
        self.failures = failures
        self.attempts: Counter[tuple[str, str, bytes]] = Counter()
        self._lock = threading.Lock()

    def __call__(self, request: Forwarded) -> tuple[int, dict[str, str], bytes] | None:
        operation = _operation(request)
        if request.service != self.service or not self.operation.fullmatch(operation):
            return None
        with self._lock:
            key = (operation, request.path, request.body)
            self.attempts[key] += 1
            if self.attempts[key] > self.failures:
                return None
        message = f"injected {self.code}"
        if self.service == "kms":  # JSON protocol
            body = f'{{"__type": "{self.code}", "message": "{message}"}}'
            return self.status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": self.code}, \
                body.encode()
        if self.service == "ec2":
            body = (f"<Response><Errors><Error><Code>{self.code}</Code><Message>{message}</Message></Error>"
                    f"</Errors><RequestID>{uuid.uuid4()}</RequestID></Response>")
        else:  # query protocol (IAM)
            body = (f"<ErrorResponse><Error><Type>Receiver</Type><Code>{self.code}</Code><Message>{message}"
                    f"</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")
        return self.status, {"Content-Type": "text/xml"}, body.encode()

    def calls(self) -> list[int]:
        """Attempts made per distinct call that hit the outage."""
        return list(self.attempts.values())


def _operation(request: Forwarded) -> str:
    headers = {k.lower(): v for k, v in request.headers.items()}
    if "x-amz-target" in headers:
        return headers["x-amz-target"].rsplit(".", 1)[-1]
    match = re.search(rb"(?:^|&)Action=(\w+)", request.body)
    return match.group(1).decode() if match else ""


class Faults:
    """Every fault of one scan: the proxy asks each in turn."""

    def __init__(self, *faults: AwsOutage) -> None:
        self.faults = faults

    def __call__(self, request: Forwarded) -> tuple[int, dict[str, str], bytes] | None:
        return next((answer for fault in self.faults if (answer := fault(request)) is not None), None)


@pytest.fixture
def aws_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, LatencyProxy]]:
    """moto's server with an account, and a fault-injecting proxy in front of it.

    moto answers DescribeSnapshots(RestorableByUserIds) and ListBuckets as AWS does
    (bench/_moto_aws_like.py), for this test only: otherwise each scan reads the attribute of
    each of moto's 1,300 default snapshots, which costs minutes and tests nothing here.
    """
    monkeypatch.setattr(ElasticBlockStore, "describe_snapshots", aws_like.describe_snapshots)
    monkeypatch.setattr(S3Response, "all_buckets", aws_like.all_buckets)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=url, **CREDS)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    ec2.create_security_group(GroupName="outage", Description="outage", VpcId=vpc)
    boto3.client("kms", region_name=REGION, endpoint_url=url, **CREDS).create_key(Description="outage")
    boto3.client("s3", region_name=REGION, endpoint_url=url, **CREDS).create_bucket(Bucket="outage-bucket")
    proxy = LatencyProxy(url, label="aws").start()
    try:
        yield url, proxy
    finally:
        proxy.stop()
        server.stop()


def _scan(org_id: uuid.UUID, checks: list[Check] | None = None) -> Audit:
    """One audit of the organization's stored integrations (all checks unless `checks`)."""
    audit = scans.request_scan(Actor.system("test"), org_id)
    assert audit_queue.claim_audit(audit.id, WORKER)
    engine.run_audit(audit.id, WORKER, checks=checks)
    return load_audit(audit.id)


def _aws_checks() -> list[Check]:
    """The checks of the three APIs the outages hit, and those of two services they leave alone (S3, the
    rest of IAM): the whole catalog would only add minutes of moto's default AMIs and snapshots."""
    return [c for c in checks_for(Provider.AWS)
            if c.meta.service in {"kms", "iam", "s3"} or c.meta.key.startswith("ec2_securitygroup")]


def _results(audit: Audit) -> dict[tuple[str, str], tuple[EvidenceStatus, str]]:
    assert audit.status == AuditStatus.COMPLETED, audit.error
    return {(key, resource): (e.status, e.message) for key, resource, e in evidence_of(audit.id)}


def _statuses(results: dict[tuple[str, str], tuple[EvidenceStatus, str]]) -> dict[tuple[str, str], EvidenceStatus]:
    return {row: status for row, (status, _) in results.items()}


def _errored(results: dict[tuple[str, str], tuple[EvidenceStatus, str]]) -> set[str]:
    return {key for (key, _), (status, _) in results.items() if status == ERROR}


def test_aws_outages_recover_within_the_budget_and_error_only_their_checks_beyond_it(
    db: str, aws_endpoint: tuple[str, LatencyProxy]
) -> None:
    _, proxy = aws_endpoint
    owner = make_user()
    org = make_org(owner)
    integrations.add_aws_integration(actor_for(owner), org.id, "AKIAOUTAGEOUTAGE0000", "outage-secret-key-0000",
                                     regions=[REGION], endpoint_url=proxy.url)
    attempts = get_settings().aws_max_attempts
    checks = _aws_checks()

    def outages(failures: int) -> tuple[AwsOutage, ...]:
        return (AwsOutage("kms", r".*", 503, "ServiceUnavailableException", failures),
                AwsOutage("iam", "GetAccountPasswordPolicy", 500, "ServiceFailure", failures),
                AwsOutage("ec2", "DescribeSecurityGroups", 503, "RequestLimitExceeded", failures))

    clean = _results(_scan(org.id, checks))
    baseline_errors = _errored(clean)

    # Half the retry budget: every call of the three APIs fails its first attempts, then succeeds.
    half = outages(attempts // 2)
    proxy.fault = Faults(*half)
    recovered = _results(_scan(org.id, checks))
    assert _statuses(recovered) == _statuses(clean)
    for outage in half:
        assert outage.calls() and all(n == attempts // 2 + 1 for n in outage.calls()), outage.code

    # Twice the budget: each call is tried `attempts` times, then its checks (only those) are ERROR.
    twice = outages(2 * attempts)
    proxy.fault = Faults(*twice)
    failed = _results(_scan(org.id, checks))
    for outage in twice:
        assert outage.calls() and all(n == attempts for n in outage.calls()), outage.code
    newly = _errored(failed) - baseline_errors
    assert {"kms_cmk_rotation_enabled", "iam_password_policy_minimum_length_14", "iam_password_policy_reuse_24",
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22"} <= newly
    for (key, resource), (status, message) in failed.items():
        if key not in newly:  # the rest of the scan: as in a clean scan
            assert status == clean[(key, resource)][0], (key, resource, message)
            continue
        # each newly failing check names the outage of one of the three APIs, and how often it was tried
        assert f"on all {attempts} attempts" in message, message
        assert any(named in message for named in (
            "AWS kms outage in us-east-1: kms:ListKeys answered HTTP 503 (ServiceUnavailableException)",
            "AWS iam outage: iam:GetAccountPasswordPolicy answered HTTP 500 (ServiceFailure)",
            "AWS throttled ec2:DescribeSecurityGroups in us-east-1 (HTTP 503 RequestLimitExceeded)",
        )), message
        assert "outage-secret-key-0000" not in message

    # The outage is over: the next scan is the clean one again, and nothing was lost on the way.
    proxy.fault = None
    again = _results(_scan(org.id, checks))
    assert _statuses(again) == _statuses(clean)
    ledger = read_ledger(org.id)
    assert ledger.duplicates == 0 and len(ledger.evidence) == 4
    assert sorted(ledger.evidence.values()) == sorted(len(r) for r in (clean, recovered, failed, again))


def test_github_outages_recover_within_the_budget_and_error_only_their_checks_beyond_it(
    db: str, github_server: GitHubServer
) -> None:
    owner = make_user()
    org = make_org(owner)
    github_server.add_member("alice", two_factor=True, role="admin")
    github_server.add_hook("https://hooks.example.com/x")
    for name in ("api", "web"):
        github_server.add_repo(name, private=True).protect(
            required_pull_request_reviews={"required_approving_review_count": 1})
    integrations.add_github_integration(actor_for(owner), org.id, github_server.token, github_server.org_login,
                                        github_server.base_url)
    github_server.org_owner = False  # no owner's token: each repository's own Dependabot alert list is read
    attempts = get_settings().github_max_attempts
    alerts, hooks = r"/repos/acme/[^/]+/dependabot/alerts(\?|$)", r"/orgs/acme/hooks(\?|$)"

    def outage(failures_per_repo: int) -> None:
        """Dependabot alert lists answer 502 and the org's webhooks hit a secondary rate limit (Retry-After)."""
        github_server.faults.clear()
        github_server.fail(alerts, 502, "Server Error", times=failures_per_repo * 2)
        github_server.secondary_rate_limit(hooks, retry_after=1, times=failures_per_repo)

    clean = _results(_scan(org.id))
    assert not _errored(clean)

    # Half the budget: one failed attempt of each call, then GitHub answers.
    github_server.requests.clear()
    outage(attempts // 2)
    recovered = _results(_scan(org.id))
    assert _statuses(recovered) == _statuses(clean)
    assert github_server.request_count(hooks) == attempts // 2 + 1

    # Twice the budget: bounded attempts, then ERROR naming the outage for the checks that need it.
    github_server.requests.clear()
    outage(2 * attempts)
    failed = _results(_scan(org.id))
    assert github_server.request_count(alerts) == 2 * attempts  # each repository: `attempts`, no more
    assert github_server.request_count(hooks) == attempts
    newly = _errored(failed)
    assert newly, "the outage must show"
    for (key, resource), (status, message) in failed.items():
        if key in newly:
            assert status == ERROR
            assert ("GitHub outage: HTTP 502" in message and f"on all {attempts} attempts" in message) or (
                "rate limit" in message), message
            assert github_server.token not in message
        else:
            assert status == clean[(key, resource)][0], (key, resource, message)
    messages = [message for (key, _), (_, message) in failed.items() if key in newly]
    assert any("GitHub outage: HTTP 502" in m for m in messages)
    assert any("secondary rate limit" in m for m in messages)

    github_server.faults.clear()
    again = _results(_scan(org.id))
    assert _statuses(again) == _statuses(clean)
    ledger = read_ledger(org.id)
    assert ledger.duplicates == 0 and len(ledger.evidence) == 4
