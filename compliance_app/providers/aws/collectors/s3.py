"""S3 collectors (global listing, per-bucket attributes read in the bucket's region)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from compliance_app.providers.aws.collectors._registry import collector, paginate
from compliance_app.providers.aws.errors import code

if TYPE_CHECKING:
    from compliance_app.providers.aws.session import AwsSession


@collector("s3.account_public_access_block")
def _s3_account_pab(s: AwsSession, region: str) -> dict[str, Any]:
    """{} means no account-level Block Public Access configuration exists."""
    account = s.collect("sts.identity")["Account"]
    try:
        return s.client("s3control").get_public_access_block(AccountId=account)["PublicAccessBlockConfiguration"]
    except ClientError as exc:
        if code(exc) == "NoSuchPublicAccessBlockConfiguration":
            return {}
        raise


def _bucket_call(s: AwsSession, fn: Callable[[], Any], missing: set[str], default: Any) -> Any:
    """One bucket attribute: value, `default` when not configured, or {"__error__": reason}.

    Errors are kept per attribute so a denied GetBucketPolicy only errors the checks that need it.
    """
    try:
        return fn()
    except ClientError as exc:
        if code(exc) in missing:
            return default
        return {"__error__": s.describe(exc, "s3")}
    except BotoCoreError as exc:
        return {"__error__": s.describe(exc, "s3")}


def _bucket_region(s: AwsSession, bucket: dict[str, Any]) -> str:
    """ListBuckets names each bucket's region (BucketRegion, since 2024, when asked with a parameter);
    endpoints that do not (S3-compatible stand-ins) need one GetBucketLocation per bucket."""
    if bucket.get("BucketRegion"):
        return bucket["BucketRegion"]
    name = bucket["Name"]
    loc = _bucket_call(s, lambda: s.client("s3").get_bucket_location(Bucket=name).get("LocationConstraint"),
                       set(), None)
    # LocationConstraint: None means us-east-1, "EU" is the legacy name of eu-west-1.
    return {"EU": "eu-west-1"}.get(loc, loc) if isinstance(loc, str) else ("us-east-1" if loc is None
                                                                            else s.home_region)


def _bucket_details(s: AwsSession, bucket: dict[str, Any]) -> dict[str, Any]:
    """The bucket's attributes, read concurrently (each is one independent call in the bucket's region)."""
    name = bucket["Name"]
    region = _bucket_region(s, bucket)
    c = s.client("s3", region)
    reads: dict[str, Callable[[], Any]] = {
        "Grants": lambda: _bucket_call(s, lambda: [
            {"Grantee": g["Grantee"].get("URI") or g["Grantee"].get("ID"), "Permission": g["Permission"]}
            for g in c.get_bucket_acl(Bucket=name).get("Grants", [])], set(), []),
        "PublicAccessBlock": lambda: _bucket_call(
            s, lambda: c.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"],
            {"NoSuchPublicAccessBlockConfiguration"}, {}),
        "Policy": lambda: _policy_and_status(s, c, name),
        "Versioning": lambda: _bucket_call(s, lambda: c.get_bucket_versioning(Bucket=name).get("Status"), set(), None),
        "Logging": lambda: _bucket_call(s, lambda: c.get_bucket_logging(Bucket=name).get("LoggingEnabled"),
                                        set(), None),
    }
    values = dict(zip(reads, s.fan_out(lambda read: read(), reads.values()), strict=True))
    policy, status = values.pop("Policy")
    return {"Name": name, "Region": region, **values, "Policy": policy, "PolicyStatus": status}


def _policy_and_status(s: AwsSession, c: Any, name: str) -> tuple[Any, Any]:
    """The bucket policy, then whether S3 judges it public (GetBucketPolicyStatus) only if there is one.

    Without a policy S3 answers NoSuchBucketPolicy to both, so most buckets cost one call, not
    two; a policy that could not be read still has its status asked (it may be readable).
    """
    policy = _bucket_call(s, lambda: c.get_bucket_policy(Bucket=name)["Policy"], {"NoSuchBucketPolicy"}, None)
    if policy is None:
        return None, {}
    status = _bucket_call(s, lambda: c.get_bucket_policy_status(Bucket=name)["PolicyStatus"],
                          {"NoSuchBucketPolicy"}, {})
    return policy, status


#: ListBuckets names each bucket's region (BucketRegion) only when the request carries a parameter;
#: MaxBuckets at its maximum also keeps the listing to one call per 10,000 buckets.
LIST_BUCKETS_PAGE = 10_000


@collector("s3.buckets")
def _s3_buckets(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Every bucket (ListBuckets is paginated since 2024: accounts may hold more than 10,000), read concurrently."""
    buckets = paginate(s.client("s3"), "list_buckets", "Buckets", PaginationConfig={"PageSize": LIST_BUCKETS_PAGE})
    return s.fan_out(lambda b: _bucket_details(s, b), buckets)
