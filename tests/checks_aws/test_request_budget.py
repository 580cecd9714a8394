"""How many calls the S3 checks make per bucket: a regression to asking every bucket everything fails here."""

from __future__ import annotations

from collections import Counter

import boto3

from compliance_app.checks.registry import checks_for
from compliance_app.providers import callchain
from compliance_app.providers.aws import AwsSession
from compliance_app.vocabulary import Provider
from tests.checks_aws.helpers import REGION


def test_s3_checks_make_at_most_five_calls_per_unversioned_bucket_without_a_policy(session: AwsSession) -> None:
    """ACL, Block Public Access, policy, versioning and logging: 5 per bucket; the policy status only
    for a bucket with a policy, Object Lock only for a versioned one (it was 7 per bucket)."""
    s3 = boto3.client("s3", region_name=REGION)
    for i in range(10):
        s3.create_bucket(Bucket=f"bucket-{i}")
    s3.put_bucket_versioning(Bucket="bucket-0", VersioningConfiguration={"Status": "Enabled"})
    with callchain.recording() as recorder:
        for check in checks_for(Provider.AWS):
            if check.meta.service == "s3":
                check.run(session)
    per_operation = Counter(op for (service, op, _), n in recorder.calls.items() if service == "s3"
                            for _ in range(n))
    del per_operation["GetBucketLocation"]  # moto's ListBuckets names no region; AWS's does (test_fan_out.py)
    per_bucket = {op: n for op, n in per_operation.items() if n >= 10}
    assert per_bucket == {op: 10 for op in ("GetBucketAcl", "GetPublicAccessBlock", "GetBucketPolicy",
                                            "GetBucketVersioning", "GetBucketLogging")}
    assert per_operation["GetObjectLockConfiguration"] == 1 and "GetBucketPolicyStatus" not in per_operation
