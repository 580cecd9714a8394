"""moto's server with two reads answered as AWS answers them, for bench/scan_latency.py.

    python -m bench._moto_aws_like -H 127.0.0.1 -p PORT      (the arguments of `python -m moto.server`)

moto 5.2 ignores two request parameters that AWS honours, and the AWS provider relies on
both to avoid one call per resource. Without them the stand-in, not the scanner, decides the
number of calls (3 x 1,300 snapshot attribute reads, 200 bucket location reads) and the
benchmark measures moto. The benchmark prints that these two deviations are in effect:

- DescribeSnapshots with RestorableByUserIds: AWS lists only the snapshots those accounts
  (or "all", the public) may create volumes from; moto lists every snapshot.
- ListBuckets with any request parameter (MaxBuckets, Prefix, ...): AWS names each bucket's
  region (BucketRegion); moto never does.

Everything else, including every other parameter moto ignores, is moto's own behaviour.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.responses.elastic_block_store import ElasticBlockStore
from moto.s3.responses import S3Response
from moto.server import main as moto_main

DEVIATIONS = (
    "DescribeSnapshots honours RestorableByUserIds (moto lists every snapshot)",
    "ListBuckets with a parameter names each bucket's region, BucketRegion (moto never does)",
)

_moto_describe_snapshots = ElasticBlockStore.describe_snapshots
_moto_all_buckets = S3Response.all_buckets


def _restorable_by(snapshot: Any, accounts: set[str]) -> bool:
    """May one of `accounts` ("all" = anyone) create volumes from `snapshot`?"""
    if "all" in accounts and "all" in snapshot.create_volume_permission_groups:
        return True
    return bool(accounts & set(snapshot.create_volume_permission_userids))


def describe_snapshots(self: ElasticBlockStore) -> ActionResult:
    accounts = set(self._get_param("RestorableByUserIds", []) or [])
    answer = _moto_describe_snapshots(self)
    if not accounts:
        return answer
    listed = answer.result["Snapshots"]  # type: ignore[index]
    return ActionResult({"Snapshots": [s for s in listed if _restorable_by(s, accounts)]})


def all_buckets(self: S3Response) -> Any:
    params = {name: self._get_param(name) for name in ("prefix", "bucket-region", "max-buckets",
                                                        "continuation-token")}
    if not any(params.values()):
        return _moto_all_buckets(self)
    self.data["Action"] = "ListAllMyBuckets"
    self._authenticate_and_authorize_s3_action()
    found = self.backend.list_buckets(prefix=params["prefix"], bucket_region=params["bucket-region"],
                                      max_buckets=params["max-buckets"])
    self.data["Action"] = "ListBuckets"
    return self.serialized(ActionResult({
        "Owner": {"ID": "bcaf1ffd86f41161ca5fb16fd081034f", "DisplayName": "webfile"},
        "Buckets": [{"Name": b.name, "CreationDate": b.creation_date_ISO8601, "BucketRegion": b.region_name}
                    for b in found],
    }))


def install() -> None:
    """Answer the two reads as AWS does, in this process's moto."""
    ElasticBlockStore.describe_snapshots = describe_snapshots  # type: ignore[method-assign]
    S3Response.all_buckets = all_buckets  # type: ignore[method-assign]


if __name__ == "__main__":
    install()
    moto_main()
