"""AwsSession: one boto3 session per scan, clients per region, memoized collectors.

Checks run concurrently in threads and many of them read the same API (every
security-group check reads describe_security_groups), so `collect` memoizes per
(collector, region) behind a per-key lock: one API call per collector per scan.
`collect_regions` reads a regional collector in every scanned region at once (8 regions
at a time), and collectors read per-resource details through `fan_out`, a second bounded
pool (AWS_POOL_SIZE, default 32) so that 1,300 snapshot attributes cost a few round trips
of wall time, not 1,300. Both pools are deadlock-free when nested (providers/fanout.py);
botocore's connection pools are sized to match. Throttling (Throttling,
RequestLimitExceeded, ...) is retried by botocore's adaptive mode, whose client-side rate
limiter, shared by every thread using that client, slows the calls down; a per-resource
call still throttled after its retries is an error of that resource only.
A collector returns raw data ([] = nothing there) or raises CollectionError with a
reason a person can act on; the reason never contains secret values.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from compliance_app.providers import callchain, endpoints
from compliance_app.providers.aws.collectors import COLLECTORS
from compliance_app.providers.aws.errors import describe_assume_role_error, describe_error
from compliance_app.providers.aws.loader import create_lean_loader
from compliance_app.providers.aws.regions import RegionPlan, describe_plan, plan_regions
from compliance_app.providers.aws.retries import use_retry_policy
from compliance_app.providers.aws.timestamps import use_fast_timestamps
from compliance_app.providers.fanout import FanOutPool
from compliance_app.settings import get_settings
from compliance_app.vocabulary import CollectionError

#: Global services (IAM, S3 listing, STS) are called here unless the integration restricts regions.
DEFAULT_HOME_REGION = "us-east-1"
_REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
#: Bounded timeouts: an unreachable region fails in seconds, not minutes. Adaptive retries: throttling
#: errors are retried with backoff and slow the client down (a token bucket shared by its threads);
#: scan clients take their attempts and backoff from settings (providers/aws/retries.py).
BOTO_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 5}, connect_timeout=5, read_timeout=15)
SESSION_NAME = "compliance-app-scan"
#: Regions read at the same time by one scan (each read is mostly waiting on the network).
REGION_WORKERS = 8
#: Service models are large JSON files; parse them once per process, not once per scan (providers/aws/loader.py).
_LOADER = create_lean_loader()

T = TypeVar("T")


def parse_config(config: dict[str, Any]) -> tuple[list[str], str | None, str | None]:
    """Validate regions/endpoint/role so a typo is reported before any API call.

    No regions means every region the account has enabled; a list only restricts that.
    """
    regions = config.get("regions") or []
    if isinstance(regions, str):
        regions = [r.strip() for r in regions.split(",") if r.strip()]
    bad = [r for r in regions if not isinstance(r, str) or not _REGION_RE.fullmatch(r)]
    if bad:
        raise ValueError(f"Invalid AWS region name(s): {', '.join(map(str, bad))} (expected e.g. us-east-1)")
    role_arn = config.get("role_arn") or None
    if role_arn and not str(role_arn).startswith("arn:"):
        raise ValueError("role_arn must be a full IAM role ARN, e.g. arn:aws:iam::123456789012:role/Audit")
    return list(dict.fromkeys(regions)), config.get("endpoint_url") or None, role_arn


class AwsSession:
    """Everything a scan needs from AWS: clients per region, the regions to scan, memoized collectors."""

    def __init__(self, config: dict[str, Any], secrets: dict[str, Any], *,
                 host_credentials: bool | None = None) -> None:
        self.configured_regions, self.endpoint_url, self.role_arn = parse_config(config or {})
        self.home_region = self.configured_regions[0] if self.configured_regions else DEFAULT_HOME_REGION
        self._secrets = dict(secrets or {})
        #: Without keys, may the role be assumed with boto3's default chain (AWS_USE_HOST_CREDENTIALS)?
        self._host_credentials = (get_settings().aws_use_host_credentials if host_credentials is None
                                  else host_credentials)
        self._base = new_boto_session(self._secrets.get("access_key_id"), self._secrets.get("secret_access_key"),
                                      self._secrets.get("session_token"), self.home_region)
        self._boto: boto3.Session | None = None
        self._boto_error: str | None = None
        self._lock = threading.Lock()
        self._plan_lock = threading.Lock()
        self._plan: RegionPlan | None = None
        self._plan_depth = 0
        self._region_pool: FanOutPool | None = None
        self._call_pool: FanOutPool | None = None
        self._pool_size = get_settings().aws_pool_size
        self._clients: dict[tuple[str, str], Any] = {}
        self._key_locks: dict[tuple[str, str | None], threading.Lock] = {}
        #: (collector, region) -> (succeeded, data or reason, call-chain depth at which it was obtained)
        self._cache: dict[tuple[str, str | None], tuple[bool, Any, int]] = {}

    # -- sessions and clients -------------------------------------------------
    def _client_from(self, session: boto3.Session, service: str, region: str) -> Any:
        # Every thread that may call at once keeps its connection: fan-out helpers, their callers, regions.
        settings = get_settings()
        config = BOTO_CONFIG.merge(Config(max_pool_connections=self._pool_size + REGION_WORKERS,
                                          retries={"mode": "adaptive", "max_attempts": settings.aws_max_attempts}))
        if self.endpoint_url:  # a local stand-in (moto server): no {account}. host prefixes, path-style S3
            config = config.merge(Config(inject_host_prefix=False, s3={"addressing_style": "path"}))
        client = session.client(service, region_name=region, endpoint_url=self.endpoint_url, config=config)
        use_retry_policy(client, settings.aws_max_attempts, settings.aws_retry_backoff)
        client.meta.events.register("before-parameter-build", functools.partial(_record_call, region))
        if self.endpoint_url:  # tenant-set: connect only to vetted addresses
            endpoints.pin_boto_client(client)
        if self.endpoint_url and service == "s3control":
            # S3 Control's endpoint rules always prepend "<account-id>." to the host, even for a custom
            # endpoint, which cannot resolve for 127.0.0.1; send it to the endpoint as configured.
            client.meta.events.register("before-send.s3-control", _strip_account_host_prefix)
        return client

    def boto_session(self) -> boto3.Session:
        """The scanning session; assumes the role (once, lazily) when one is configured."""
        with self._lock:
            if self._boto is not None:
                return self._boto
            if self._boto_error is not None:
                raise CollectionError(self._boto_error)
            problem = self.credentials_problem()
            if problem:
                self._boto_error = problem
                raise CollectionError(self._boto_error)
            if not self.role_arn:
                self._boto = self._base
                return self._boto
            try:
                self._boto = assume_role(self._base, self.role_arn, self._secrets.get("external_id"),
                                         self.home_region, self.endpoint_url)
            except (ClientError, BotoCoreError) as exc:
                self._boto_error = describe_assume_role_error(exc, self._secrets)
                raise CollectionError(self._boto_error) from exc
            return self._boto

    def has_keys(self) -> bool:
        return bool(self._secrets.get("access_key_id") and self._secrets.get("secret_access_key"))

    def credentials_problem(self) -> str | None:
        """Why this integration cannot authenticate, or None.

        The host's own credentials (env, profile, instance role) are never used to scan
        directly; they may only assume the configured role, and only when the operator
        opted in with AWS_USE_HOST_CREDENTIALS=true.
        """
        if self.has_keys():
            return None
        if self.role_arn and self._host_credentials:
            return None
        if self._secrets.get("access_key_id") or self._secrets.get("secret_access_key"):
            return "Enter both the AWS access key id and the secret access key."
        if self.role_arn:
            return ("No AWS access key is configured to assume the role: add the access keys of the IAM user "
                    "the role trusts (this server does not use its own AWS credentials unless "
                    "AWS_USE_HOST_CREDENTIALS=true).")
        return "No AWS access key is configured for this integration."

    def client(self, service: str, region: str | None = None) -> Any:
        region = region or self.home_region
        session = self.boto_session()
        with self._lock:
            key = (service, region)
            if key not in self._clients:
                self._clients[key] = self._client_from(session, service, region)
            return self._clients[key]

    # -- regions -----------------------------------------------------------------
    def region_plan(self) -> RegionPlan:
        """Discovered (and probed) once per scan; raises CollectionError if the session cannot open."""
        with self._plan_lock:
            if self._plan is None:
                self._plan = plan_regions(self)
                self._plan_depth = callchain.depth()
            callchain.reach(self._plan_depth)
            return self._plan

    @property
    def regions(self) -> list[str]:
        """The regions regional checks read: enabled, within the restriction, not skipped."""
        return self.region_plan().scanned

    def map_regions(self, fn: Callable[[str], T], regions: Iterable[str]) -> dict[str, T]:
        """fn(region) for every region at once (REGION_WORKERS at a time), in the order given."""
        regions = list(regions)
        with self._lock:
            if self._region_pool is None:
                self._region_pool = FanOutPool(REGION_WORKERS, "aws-region")
            pool = self._region_pool
        return dict(zip(regions, pool.map(fn, regions), strict=True))

    def fan_out(self, fn: Callable[[Any], T], items: Iterable[Any]) -> list[T]:
        """[fn(item) for item in items] on the session's per-resource pool (independent API calls)."""
        with self._lock:
            if self._call_pool is None:
                self._call_pool = FanOutPool(self._pool_size, "aws-call")
            pool = self._call_pool
        return pool.map(fn, items)

    def coverage(self) -> dict[str, Any]:
        """What this scan covered, for the audit (no secrets): account, regions scanned and skipped."""
        out: dict[str, Any] = {"provider": "aws", "account": None, "scanned": [], "skipped": {}, "notes": []}
        try:
            out.update(describe_plan(self.region_plan()))
            out["account"] = self.collect("sts.identity")["Account"]
        except CollectionError as exc:
            out["notes"].append(exc.reason)
        if self.configured_regions:
            out["notes"].append(f"Restricted to the integration's regions: {', '.join(self.configured_regions)}.")
        return out

    # -- collection --------------------------------------------------------------
    def collect(self, name: str, region: str | None = None) -> Any:
        """Run collector `name` once per scan (per region) and share the result between threads.

        Failures are memoized too, so ten checks on a denied API make one call, not ten.
        """
        if name not in COLLECTORS:
            raise KeyError(f"unknown AWS collector {name!r}")
        key = (name, region)
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            if key in self._cache:
                ok, value, depth = self._cache[key]
                callchain.reach(depth)
                if ok:
                    return value
                raise CollectionError(value)
            service = name.split(".", 1)[0]
            try:
                value = COLLECTORS[name](self, region or self.home_region)
            except CollectionError as exc:
                self._cache[key] = (False, exc.reason, callchain.depth())
                raise
            except (ClientError, BotoCoreError) as exc:
                reason = describe_error(exc, service, region, self._secrets)
                self._cache[key] = (False, reason, callchain.depth())
                raise CollectionError(reason) from exc
            self._cache[key] = (True, value, callchain.depth())
            return value

    def collect_regions(self, name: str) -> dict[str, Any]:
        """{region: data or CollectionError} for every scanned region, read concurrently."""
        def one(region: str) -> Any:
            try:
                return self.collect(name, region)
            except CollectionError as exc:
                return exc
        return self.map_regions(one, self.regions)

    def describe(self, exc: BaseException, service: str = "", region: str | None = None) -> str:
        return describe_error(exc, service, region, self._secrets)

    def close(self) -> None:
        """Drop clients, the pools and cached data (the cache can be large on big accounts)."""
        with self._lock:
            pools = [p for p in (self._region_pool, self._call_pool) if p is not None]
            self._region_pool = self._call_pool = None
            for client in self._clients.values():
                client.close()
            self._clients.clear()
            self._cache.clear()
        for pool in pools:
            pool.close()


class _CredentialLogFilter(logging.Filter):
    """Redact role credentials from botocore's DEBUG wire log.

    Assuming a role sends the external id and receives temporary credentials, and every
    later request carries the session token; botocore logs request params, response bodies,
    headers and canonical requests at DEBUG. An operator turning that on to debug a scan
    must not end up with secrets in the log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = message
        for pattern, replacement in _LOG_REDACTIONS:
            redacted = pattern.sub(replacement, redacted)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


_LOG_REDACTIONS = [
    (re.compile(r"(ExternalId['\"]?\s*[:=]\s*b?['\"]?)[^'\"&}\s]+"), r"\1***"),
    (re.compile(r"(x-amz-security-token['\"]?\s*[:=]\s*b?['\"]?)[^'\"\s,}]+", re.IGNORECASE), r"\1***"),
    (re.compile(r"(<(SecretAccessKey|SessionToken)>)[^<]*"), r"\1***"),
    (re.compile(r"(['\"](SecretAccessKey|SessionToken)['\"]\s*:\s*['\"])[^'\"]*"), r"\1***"),
]
for _name in ("botocore.endpoint", "botocore.parsers", "botocore.auth", "botocore.hooks"):
    logging.getLogger(_name).addFilter(_CredentialLogFilter())


def _record_call(region: str, params: dict[str, Any], model: Any, **_: Any) -> None:
    """botocore emits before-parameter-build once per API call (each page is a call, retries are not)."""
    callchain.record(model.service_model.service_name, model.name,
                     f"{region} {json.dumps(params, sort_keys=True, default=str)}")


def _strip_account_host_prefix(request: Any, **_: Any) -> None:
    request.url = re.sub(r"^(https?://)\d{12}\.", r"\1", request.url)


def new_boto_session(key_id: str | None, secret: str | None, token: str | None, region: str) -> boto3.Session:
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    use_fast_timestamps(core)
    return boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, aws_session_token=token,
                         region_name=region, botocore_session=core)


def assume_role(base: boto3.Session, role_arn: str, external_id: str | None, region: str,
                endpoint_url: str | None) -> boto3.Session:
    sts = base.client("sts", region_name=region, endpoint_url=endpoint_url, config=BOTO_CONFIG)
    sts.meta.events.register("before-parameter-build", functools.partial(_record_call, region))
    if endpoint_url:  # tenant-set: connect only to vetted addresses
        endpoints.pin_boto_client(sts)
    params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": SESSION_NAME}
    if external_id:
        params["ExternalId"] = external_id
    creds = sts.assume_role(**params)["Credentials"]
    return new_boto_session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], region)
