"""All AWS checks together on one session, as the scan engine runs them: threads, two regions."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from moto.server import ThreadedMotoServer

from compliance_app.checks.registry import checks_for
from compliance_app.models import EvidenceStatus, Provider
from compliance_app.providers.aws import AwsSession
from compliance_app.services.engine import run_check
from tests.checks_aws.helpers import CREDS, ERROR, FAIL, PASS, REGION, run

OTHER = "eu-west-1"
#: Checks reading what moto does not emulate, so they may error: Access Analyzer, the root row, and
#: SSM patch compliance (ListResourceComplianceSummaries), EBS snapshot Block Public Access
#: (GetSnapshotBlockPublicAccessState). Checks run as the engine runs them, where
#: an exception (moto's NotImplementedError) becomes an ERROR finding.
MOTO_GAPS = {"accessanalyzer_enabled", "iam_avoid_root_usage", "ssm_managed_compliant_patching",
             "ec2_ebs_snapshot_account_block_public_access"}


def test_multi_region_trail_is_judged_once_and_covers_every_region(aws: None) -> None:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="org-trail-logs")
    ct = boto3.client("cloudtrail", region_name=REGION)
    ct.create_trail(Name="org-trail", S3BucketName="org-trail-logs", IsMultiRegionTrail=True,
                    EnableLogFileValidation=True)
    ct.start_logging(Name="org-trail")
    session = AwsSession({"regions": [REGION, OTHER]}, CREDS)
    coverage = run("cloudtrail_multi_region_enabled", session)
    assert {(f.region, f.status) for f in coverage} == {(REGION, PASS), (OTHER, PASS)}
    [validation] = run("cloudtrail_log_file_validation_enabled", session)
    assert validation.status == PASS and validation.resource_id.endswith("trail/org-trail")


def test_all_checks_in_parallel_share_collectors(aws: None) -> None:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="some-bucket")
    boto3.client("iam").create_user(UserName="bob")
    session = AwsSession({"regions": [REGION, OTHER]}, CREDS)
    checks = checks_for(Provider.AWS)
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = pool.map(lambda c: run_check(c, session, "account"), checks)
        results = dict(zip([c.meta.key for c in checks], found, strict=True))
    session.close()
    for key, findings in results.items():
        for f in findings:
            assert isinstance(f.status, EvidenceStatus) and f.resource_id and f.message, key
            assert CREDS["secret_access_key"] not in json.dumps(f.raw_data), key  # also proves it is JSON
    errored = {k for k, fs in results.items() if any(f.status == ERROR for f in fs)}
    assert errored <= MOTO_GAPS, errored
    assert {f.region for f in results["guardduty_is_enabled"]} == {REGION, OTHER}
    assert all(f.status == FAIL for f in results["guardduty_is_enabled"])


@pytest.fixture
def moto_server() -> str:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_endpoint_url_scans_a_moto_server(moto_server: str) -> None:
    """The whole catalog over HTTP against a local stand-in, as the CLI/engine tests configure it."""
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=moto_server)
    s3.create_bucket(Bucket="served-bucket")
    s3.put_bucket_versioning(Bucket="served-bucket", VersioningConfiguration={"Status": "Enabled"})
    session = AwsSession({"regions": [REGION], "endpoint_url": moto_server}, CREDS)
    results = {c.meta.key: run_check(c, session, "account") for c in checks_for(Provider.AWS)}
    session.close()
    errored = {k for k, fs in results.items() if any(f.status == ERROR for f in fs)}
    assert errored <= MOTO_GAPS, {k: results[k] for k in errored}
    assert [f.status for f in results["s3_bucket_versioning_enabled"]] == [PASS]
    assert [f.status for f in results["s3_account_level_public_access_blocks"]] == [FAIL]
