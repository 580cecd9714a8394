"""AWS provider: one boto3 session per scan, memoized collectors shared by all checks.

Checks run concurrently in threads and many of them read the same API (every
security-group check reads describe_security_groups), so `collect` memoizes per
(collector, region) behind a per-key lock: one API call per collector per scan.
A collector returns raw data ([] = nothing there) or raises CollectionError with a
reason a person can act on; the reason never contains secret values.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.loaders import create_loader

from compliance_app.providers.base import CollectionError, ConnectionResult
from compliance_app.settings import get_settings

DEFAULT_REGIONS = ["us-east-1"]
_REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
#: Bounded timeouts and standard retries: an unreachable region fails in seconds, not minutes.
BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=15)
SESSION_NAME = "compliance-app-scan"
#: Service models are large JSON files; parse them once per process, not once per scan.
_LOADER = create_loader()

_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
           "UnauthorizedAccess", "Forbidden"}
_THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
              "SlowDown", "RequestThrottled"}
_BAD_CREDS = {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
              "InvalidAccessKeyId", "ExpiredToken", "ExpiredTokenException"}
_REGION_DISABLED = {"OptInRequired", "AuthFailure", "InvalidRegion"}


def parse_config(config: dict[str, Any]) -> tuple[list[str], str | None, str | None]:
    """Validate regions/endpoint/role so a typo is reported before any API call."""
    regions = config.get("regions") or list(DEFAULT_REGIONS)
    if isinstance(regions, str):
        regions = [r.strip() for r in regions.split(",") if r.strip()]
    bad = [r for r in regions if not isinstance(r, str) or not _REGION_RE.fullmatch(r)]
    if bad:
        raise ValueError(f"Invalid AWS region name(s): {', '.join(map(str, bad))} (expected e.g. us-east-1)")
    role_arn = config.get("role_arn") or None
    if role_arn and not str(role_arn).startswith("arn:"):
        raise ValueError("role_arn must be a full IAM role ARN, e.g. arn:aws:iam::123456789012:role/Audit")
    return list(dict.fromkeys(regions)), config.get("endpoint_url") or None, role_arn


def describe_error(exc: BaseException, service: str = "", region: str | None = None,
                   secrets: dict[str, Any] | None = None) -> str:
    """Turn a boto error into one sentence that says what failed and what to fix."""
    where = f" in {region}" if region else ""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        op = f"{service}:{exc.operation_name}" if service else exc.operation_name
        if code in _DENIED:
            return (f"Access denied calling {op}{where}: grant the scanning identity read access "
                    f"(e.g. the SecurityAudit managed policy).")
        if code in _THROTTLED:
            return f"AWS throttled {op}{where} even after retries; run the scan again later."
        if code in _BAD_CREDS:
            return (f"AWS rejected the credentials calling {op}{where} ({code}): check the access key id "
                    f"and secret access key, and that the key is active.")
        if code in _REGION_DISABLED:
            return (f"{f'Region {region}' if region else 'A region'} is not enabled for this account ({code}): "
                    f"enable the opt-in "
                    f"region in the AWS console or remove it from the integration's regions.")
        message = _scrub(str(exc.response.get("Error", {}).get("Message", "")), secrets)
        return f"{op}{where} failed: {code}: {message}".rstrip(": ")
    if isinstance(exc, EndpointConnectionError):
        return (f"Could not reach the AWS {service or 'API'} endpoint{where}: the region may not exist "
                f"or the network/endpoint_url is unreachable.")
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return f"Timed out talking to AWS {service or 'API'}{where}; the region may be unreachable."
    if isinstance(exc, NoCredentialsError):
        return ("No AWS credentials were found: set the integration's access key id and secret access key "
                "(or give this server AWS credentials when AWS_USE_HOST_CREDENTIALS=true).")
    if isinstance(exc, BotoCoreError):
        return f"AWS {service or 'API'} call{where} failed: {_scrub(str(exc), secrets)}"
    return f"{type(exc).__name__}: {_scrub(str(exc), secrets)}"


def _scrub(text: str, secrets: dict[str, Any] | None) -> str:
    for value in (secrets or {}).values():
        if isinstance(value, str) and len(value) >= 4:
            text = text.replace(value, "***")
    return text


class AwsSession:
    """Everything a scan needs from AWS: clients per region and memoized collectors."""

    def __init__(self, config: dict[str, Any], secrets: dict[str, Any], *,
                 host_credentials: bool | None = None) -> None:
        self.regions, self.endpoint_url, self.role_arn = parse_config(config or {})
        self._secrets = dict(secrets or {})
        #: Without keys, may the role be assumed with boto3's default chain (AWS_USE_HOST_CREDENTIALS)?
        self._host_credentials = (get_settings().aws_use_host_credentials if host_credentials is None
                                  else host_credentials)
        self._base = new_boto_session(self._secrets.get("access_key_id"), self._secrets.get("secret_access_key"),
                                      self._secrets.get("session_token"), self.regions[0])
        self._boto: boto3.Session | None = None
        self._boto_error: str | None = None
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self._key_locks: dict[tuple[str, str | None], threading.Lock] = {}
        self._cache: dict[tuple[str, str | None], tuple[bool, Any]] = {}

    # -- sessions and clients -------------------------------------------------
    def _client_from(self, session: boto3.Session, service: str, region: str) -> Any:
        config = BOTO_CONFIG
        if self.endpoint_url:  # a local stand-in (moto server): no {account}. host prefixes, path-style S3
            config = config.merge(Config(inject_host_prefix=False, s3={"addressing_style": "path"}))
        client = session.client(service, region_name=region, endpoint_url=self.endpoint_url, config=config)
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
                                         self.regions[0], self.endpoint_url)
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
        region = region or self.regions[0]
        session = self.boto_session()
        with self._lock:
            key = (service, region)
            if key not in self._clients:
                self._clients[key] = self._client_from(session, service, region)
            return self._clients[key]

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
                ok, value = self._cache[key]
                if ok:
                    return value
                raise CollectionError(value)
            service = name.split(".", 1)[0]
            try:
                value = COLLECTORS[name](self, region or self.regions[0])
            except CollectionError as exc:
                self._cache[key] = (False, exc.reason)
                raise
            except (ClientError, BotoCoreError) as exc:
                reason = describe_error(exc, service, region, self._secrets)
                self._cache[key] = (False, reason)
                raise CollectionError(reason) from exc
            self._cache[key] = (True, value)
            return value

    def describe(self, exc: BaseException, service: str = "", region: str | None = None) -> str:
        return describe_error(exc, service, region, self._secrets)

    def close(self) -> None:
        """Drop clients and cached data (the cache can be large on big accounts)."""
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
            self._cache.clear()


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


def _strip_account_host_prefix(request: Any, **_: Any) -> None:
    request.url = re.sub(r"^(https?://)\d{12}\.", r"\1", request.url)


def new_boto_session(key_id: str | None, secret: str | None, token: str | None, region: str) -> boto3.Session:
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, aws_session_token=token,
                         region_name=region, botocore_session=core)


def assume_role(base: boto3.Session, role_arn: str, external_id: str | None, region: str,
                endpoint_url: str | None) -> boto3.Session:
    sts = base.client("sts", region_name=region, endpoint_url=endpoint_url, config=BOTO_CONFIG)
    params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": SESSION_NAME}
    if external_id:
        params["ExternalId"] = external_id
    creds = sts.assume_role(**params)["Credentials"]
    return new_boto_session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], region)


def describe_assume_role_error(exc: BaseException, secrets: dict[str, Any]) -> str:
    if isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") in _DENIED:
        return ("AWS denied AssumeRole: check the role's trust policy allows this account/user to assume it "
                "and that the external id matches the one in the trust policy's sts:ExternalId condition.")
    return describe_error(exc, "sts", None, secrets)


def open_session(config: dict[str, Any], secrets: dict[str, Any]) -> AwsSession:
    return AwsSession(config, secrets)


def test_connection(config: dict[str, Any], secrets: dict[str, Any]) -> ConnectionResult:
    """Prove the credentials work, the role can be assumed and every region answers."""
    try:
        regions, _, role_arn = parse_config(config or {})
    except ValueError as exc:
        return ConnectionResult(False, str(exc))
    secrets = secrets or {}
    session = AwsSession(config, secrets)
    problem = session.credentials_problem()
    if problem:
        return ConnectionResult(False, problem)
    try:
        session._client_from(session._base, "sts", regions[0]).get_caller_identity()
    except (ClientError, BotoCoreError) as exc:
        return ConnectionResult(False, describe_error(exc, "sts", None, secrets))
    try:
        identity = session.client("sts").get_caller_identity()
    except CollectionError as exc:
        return ConnectionResult(False, exc.reason)
    except (ClientError, BotoCoreError) as exc:
        return ConnectionResult(False, describe_error(exc, "sts", None, secrets))
    details: dict[str, Any] = {"account_id": identity.get("Account"), "arn": identity.get("Arn"), "regions": {}}
    failures = []
    for region in regions:
        try:
            session.client("ec2", region).describe_availability_zones()
            details["regions"][region] = "ok"
        except (ClientError, BotoCoreError) as exc:
            reason = describe_error(exc, "ec2", region, secrets)
            details["regions"][region] = reason
            failures.append(reason)
    session.close()
    if failures:
        return ConnectionResult(False, " ".join(failures), details)
    who = "assumed role " + role_arn if role_arn else details["arn"]
    return ConnectionResult(True, f"Connected to AWS account {details['account_id']} as {who} "
                                  f"({len(regions)} region(s)).", details)


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported


# ---------------------------------------------------------------------------
# Collectors: (session, region) -> raw data. Global services ignore region.
# ---------------------------------------------------------------------------
Collector = Callable[[AwsSession, str], Any]
COLLECTORS: dict[str, Collector] = {}


def collector(name: str) -> Callable[[Collector], Collector]:
    def register(fn: Collector) -> Collector:
        COLLECTORS[name] = fn
        return fn
    return register


def _paginate(client: Any, op: str, key: str, **kwargs: Any) -> list[Any]:
    items: list[Any] = []
    for page in client.get_paginator(op).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


@collector("sts.identity")
def _sts_identity(s: AwsSession, region: str) -> dict[str, Any]:
    ident = s.client("sts").get_caller_identity()
    return {"Account": ident["Account"], "Arn": ident["Arn"]}


@collector("iam.account_summary")
def _iam_summary(s: AwsSession, region: str) -> dict[str, Any]:
    return s.client("iam").get_account_summary()["SummaryMap"]


@collector("iam.credential_report")
def _iam_credential_report(s: AwsSession, region: str) -> list[dict[str, str]]:
    iam = s.client("iam")
    for attempt in range(12):  # generation takes seconds on big accounts; ~20 s at most
        if iam.generate_credential_report().get("State") == "COMPLETE":
            break
        time.sleep(min(0.1 * 2**attempt, 3))
    try:
        content = iam.get_credential_report()["Content"]
    except ClientError as exc:
        if _code(exc) in {"ReportNotPresent", "ReportInProgress", "ReportExpired"}:
            raise CollectionError("The IAM credential report was not ready in time; run the scan again.") from exc
        raise
    if isinstance(content, bytes):
        content = content.decode()
    return list(csv.DictReader(io.StringIO(content)))


@collector("iam.password_policy")
def _iam_password_policy(s: AwsSession, region: str) -> dict[str, Any]:
    """{} means the account has no password policy (AWS defaults apply)."""
    try:
        return s.client("iam").get_account_password_policy()["PasswordPolicy"]
    except ClientError as exc:
        if _code(exc) == "NoSuchEntity":
            return {}
        raise


@collector("iam.users")
def _iam_users(s: AwsSession, region: str) -> list[dict[str, Any]]:
    users = _paginate(s.client("iam"), "list_users", "Users")
    return [{"UserName": u["UserName"], "Arn": u["Arn"], "CreateDate": u["CreateDate"]} for u in users]


@collector("iam.users_mfa")
def _iam_users_mfa(s: AwsSession, region: str) -> list[dict[str, Any]]:
    iam = s.client("iam")
    out = []
    for user in s.collect("iam.users"):
        try:
            iam.get_login_profile(UserName=user["UserName"])
            console = True
        except ClientError as exc:
            if _code(exc) != "NoSuchEntity":
                raise
            console = False
        mfa = _paginate(iam, "list_mfa_devices", "MFADevices", UserName=user["UserName"])
        out.append({**user, "ConsoleAccess": console, "MFADevices": [d["SerialNumber"] for d in mfa]})
    return out


@collector("iam.access_keys")
def _iam_access_keys(s: AwsSession, region: str) -> list[dict[str, Any]]:
    iam = s.client("iam")
    out = []
    for user in s.collect("iam.users"):
        for key in _paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=user["UserName"]):
            last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"]).get("AccessKeyLastUsed", {})
            out.append({"UserName": user["UserName"], "UserCreateDate": user["CreateDate"],
                        "AccessKeyId": key["AccessKeyId"], "Status": key["Status"],
                        "CreateDate": key["CreateDate"], "LastUsedDate": last.get("LastUsedDate")})
    return out


@collector("iam.user_policies")
def _iam_user_policies(s: AwsSession, region: str) -> list[dict[str, Any]]:
    iam = s.client("iam")
    out = []
    for user in s.collect("iam.users"):
        name = user["UserName"]
        attached = _paginate(iam, "list_attached_user_policies", "AttachedPolicies", UserName=name)
        inline = _paginate(iam, "list_user_policies", "PolicyNames", UserName=name)
        out.append({"UserName": name, "Arn": user["Arn"],
                    "AttachedPolicies": [p["PolicyName"] for p in attached], "InlinePolicies": inline})
    return out


@collector("iam.local_policies")
def _iam_local_policies(s: AwsSession, region: str) -> list[dict[str, Any]]:
    iam = s.client("iam")
    out = []
    for pol in _paginate(iam, "list_policies", "Policies", Scope="Local"):
        version = iam.get_policy_version(PolicyArn=pol["Arn"], VersionId=pol["DefaultVersionId"])
        out.append({"PolicyName": pol["PolicyName"], "Arn": pol["Arn"],
                    "AttachmentCount": pol.get("AttachmentCount", 0),
                    "Document": version["PolicyVersion"]["Document"]})
    return out


@collector("cloudtrail.trails")
def _cloudtrail_trails(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Trails visible in `region`, including multi-region trails homed elsewhere."""
    ct = s.client("cloudtrail", region)
    trails = ct.describe_trails(includeShadowTrails=True).get("trailList", [])
    out = []
    for t in trails:
        trail = {k: t.get(k) for k in ("Name", "TrailARN", "HomeRegion", "IsMultiRegionTrail",
                                       "LogFileValidationEnabled", "KmsKeyId", "S3BucketName")}
        try:  # an organization trail seen from a member account may refuse its status
            trail["IsLogging"] = bool(ct.get_trail_status(Name=t["TrailARN"]).get("IsLogging"))
        except ClientError as exc:
            trail["IsLogging"] = None
            trail["StatusError"] = s.describe(exc, "cloudtrail", region)
        out.append(trail)
    return out


@collector("config.recorders")
def _config_recorders(s: AwsSession, region: str) -> list[dict[str, Any]]:
    cfg = s.client("config", region)
    recorders = cfg.describe_configuration_recorders().get("ConfigurationRecorders", [])
    statuses = {st["name"]: st for st in
                cfg.describe_configuration_recorder_status().get("ConfigurationRecordersStatus", [])}
    return [{"name": r["name"], "recordingGroup": r.get("recordingGroup", {}),
             "recording": bool(statuses.get(r["name"], {}).get("recording")),
             "lastStatus": statuses.get(r["name"], {}).get("lastStatus")} for r in recorders]


@collector("guardduty.detectors")
def _guardduty_detectors(s: AwsSession, region: str) -> list[dict[str, Any]]:
    gd = s.client("guardduty", region)
    out = []
    for det_id in _paginate(gd, "list_detectors", "DetectorIds"):
        det = gd.get_detector(DetectorId=det_id)
        out.append({"DetectorId": det_id, "Status": det.get("Status")})
    return out


@collector("securityhub.hub")
def _securityhub_hub(s: AwsSession, region: str) -> dict[str, Any]:
    """{} means Security Hub is not enabled in the region."""
    try:
        hub = s.client("securityhub", region).describe_hub()
    except ClientError as exc:
        if _code(exc) in {"InvalidAccessException", "ResourceNotFoundException"}:
            return {}
        raise
    return {"HubArn": hub.get("HubArn"), "SubscribedAt": hub.get("SubscribedAt")}


@collector("s3.account_public_access_block")
def _s3_account_pab(s: AwsSession, region: str) -> dict[str, Any]:
    """{} means no account-level Block Public Access configuration exists."""
    account = s.collect("sts.identity")["Account"]
    try:
        return s.client("s3control").get_public_access_block(AccountId=account)["PublicAccessBlockConfiguration"]
    except ClientError as exc:
        if _code(exc) == "NoSuchPublicAccessBlockConfiguration":
            return {}
        raise


def _bucket_call(s: AwsSession, fn: Callable[[], Any], missing: set[str], default: Any) -> Any:
    """One bucket attribute: value, `default` when not configured, or {"__error__": reason}.

    Errors are kept per attribute so a denied GetBucketPolicy only errors the checks that need it.
    """
    try:
        return fn()
    except ClientError as exc:
        if _code(exc) in missing:
            return default
        return {"__error__": s.describe(exc, "s3")}
    except BotoCoreError as exc:
        return {"__error__": s.describe(exc, "s3")}


def _bucket_details(s: AwsSession, name: str) -> dict[str, Any]:
    loc = _bucket_call(s, lambda: s.client("s3").get_bucket_location(Bucket=name).get("LocationConstraint"),
                       set(), None)
    # LocationConstraint: None means us-east-1, "EU" is the legacy name of eu-west-1.
    region = {"EU": "eu-west-1"}.get(loc, loc) if isinstance(loc, str) else ("us-east-1" if loc is None
                                                                              else s.regions[0])
    c = s.client("s3", region)
    return {
        "Name": name,
        "Region": region,
        "Grants": _bucket_call(s, lambda: [
            {"Grantee": g["Grantee"].get("URI") or g["Grantee"].get("ID"), "Permission": g["Permission"]}
            for g in c.get_bucket_acl(Bucket=name).get("Grants", [])], set(), []),
        "PolicyStatus": _bucket_call(s, lambda: c.get_bucket_policy_status(Bucket=name)["PolicyStatus"],
                                     {"NoSuchBucketPolicy"}, {}),
        "PublicAccessBlock": _bucket_call(
            s, lambda: c.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"],
            {"NoSuchPublicAccessBlockConfiguration"}, {}),
        "Policy": _bucket_call(s, lambda: c.get_bucket_policy(Bucket=name)["Policy"], {"NoSuchBucketPolicy"}, None),
        "Versioning": _bucket_call(s, lambda: c.get_bucket_versioning(Bucket=name).get("Status"), set(), None),
        "Logging": _bucket_call(s, lambda: c.get_bucket_logging(Bucket=name).get("LoggingEnabled"), set(), None),
    }


@collector("s3.buckets")
def _s3_buckets(s: AwsSession, region: str) -> list[dict[str, Any]]:
    return [_bucket_details(s, b["Name"]) for b in s.client("s3").list_buckets().get("Buckets", [])]


@collector("ec2.ebs_default_encryption")
def _ec2_ebs_default(s: AwsSession, region: str) -> dict[str, Any]:
    return {"EbsEncryptionByDefault": s.client("ec2", region).get_ebs_encryption_by_default()["EbsEncryptionByDefault"]}


@collector("ec2.volumes")
def _ec2_volumes(s: AwsSession, region: str) -> list[dict[str, Any]]:
    vols = _paginate(s.client("ec2", region), "describe_volumes", "Volumes")
    return [{"VolumeId": v["VolumeId"], "Encrypted": v.get("Encrypted", False), "State": v.get("State")}
            for v in vols]


@collector("ec2.snapshots")
def _ec2_snapshots(s: AwsSession, region: str) -> list[dict[str, Any]]:
    ec2 = s.client("ec2", region)
    out = []
    for snap in _paginate(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"]):
        attr = ec2.describe_snapshot_attribute(SnapshotId=snap["SnapshotId"], Attribute="createVolumePermission")
        out.append({"SnapshotId": snap["SnapshotId"], "VolumeId": snap.get("VolumeId"),
                    "CreateVolumePermissions": attr.get("CreateVolumePermissions", [])})
    return out


@collector("ec2.security_groups")
def _ec2_security_groups(s: AwsSession, region: str) -> list[dict[str, Any]]:
    sgs = _paginate(s.client("ec2", region), "describe_security_groups", "SecurityGroups")
    return [{k: sg.get(k) for k in ("GroupId", "GroupName", "VpcId", "IpPermissions", "IpPermissionsEgress")}
            for sg in sgs]


@collector("ec2.instances")
def _ec2_instances(s: AwsSession, region: str) -> list[dict[str, Any]]:
    out = []
    for res in _paginate(s.client("ec2", region), "describe_instances", "Reservations"):
        for inst in res.get("Instances", []):
            out.append({"InstanceId": inst["InstanceId"], "State": inst.get("State", {}).get("Name"),
                        "MetadataOptions": inst.get("MetadataOptions", {})})
    return out


@collector("ec2.vpcs_flow_logs")
def _ec2_vpcs_flow_logs(s: AwsSession, region: str) -> list[dict[str, Any]]:
    ec2 = s.client("ec2", region)
    vpcs = _paginate(ec2, "describe_vpcs", "Vpcs")
    logs = _paginate(ec2, "describe_flow_logs", "FlowLogs")
    by_vpc: dict[str, list[dict[str, Any]]] = {}
    for fl in logs:
        by_vpc.setdefault(fl.get("ResourceId", ""), []).append(
            {"FlowLogId": fl.get("FlowLogId"), "FlowLogStatus": fl.get("FlowLogStatus")})
    return [{"VpcId": v["VpcId"], "IsDefault": v.get("IsDefault", False), "FlowLogs": by_vpc.get(v["VpcId"], [])}
            for v in vpcs]


@collector("rds.instances")
def _rds_instances(s: AwsSession, region: str) -> list[dict[str, Any]]:
    dbs = _paginate(s.client("rds", region), "describe_db_instances", "DBInstances")
    return [{k: d.get(k) for k in ("DBInstanceIdentifier", "DBInstanceArn", "Engine", "StorageEncrypted",
                                   "PubliclyAccessible", "BackupRetentionPeriod")} for d in dbs]


@collector("kms.keys")
def _kms_keys(s: AwsSession, region: str) -> list[dict[str, Any]]:
    """Customer-managed, enabled, symmetric keys with their rotation status."""
    kms = s.client("kms", region)
    out = []
    for k in _paginate(kms, "list_keys", "Keys"):
        meta = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
        if (meta.get("KeyManager") != "CUSTOMER" or meta.get("KeyState") != "Enabled"
                or meta.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT"
                or meta.get("Origin", "AWS_KMS") != "AWS_KMS"):
            continue
        key = {"KeyId": meta["KeyId"], "Arn": meta.get("Arn")}
        try:  # a key policy can deny the auditor even when IAM allows it
            key["KeyRotationEnabled"] = kms.get_key_rotation_status(KeyId=k["KeyId"]).get("KeyRotationEnabled")
        except ClientError as exc:
            key["__error__"] = s.describe(exc, "kms", region)
        out.append(key)
    return out


@collector("logs.log_groups")
def _log_groups(s: AwsSession, region: str) -> list[dict[str, Any]]:
    groups = _paginate(s.client("logs", region), "describe_log_groups", "logGroups")
    return [{"logGroupName": g["logGroupName"], "arn": g.get("arn"),
             "retentionInDays": g.get("retentionInDays")} for g in groups]


@collector("accessanalyzer.analyzers")
def _access_analyzers(s: AwsSession, region: str) -> list[dict[str, Any]]:
    analyzers = _paginate(s.client("accessanalyzer", region), "list_analyzers", "analyzers")
    return [{k: a.get(k) for k in ("name", "arn", "type", "status")} for a in analyzers]


@collector("backup.plans")
def _backup_plans(s: AwsSession, region: str) -> list[dict[str, Any]]:
    plans = _paginate(s.client("backup", region), "list_backup_plans", "BackupPlansList")
    return [{"BackupPlanId": p["BackupPlanId"], "BackupPlanName": p.get("BackupPlanName"),
             "BackupPlanArn": p.get("BackupPlanArn")} for p in plans]


ACM_KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]


@collector("acm.certificates")
def _acm_certificates(s: AwsSession, region: str) -> list[dict[str, Any]]:
    acm = s.client("acm", region)
    out = []
    # Without Includes, ListCertificates silently omits everything but RSA-1024/2048 certificates.
    for c in _paginate(acm, "list_certificates", "CertificateSummaryList", Includes={"keyTypes": ACM_KEY_TYPES}):
        cert = acm.describe_certificate(CertificateArn=c["CertificateArn"])["Certificate"]
        out.append({k: cert.get(k) for k in ("CertificateArn", "DomainName", "Status", "NotAfter", "InUseBy")})
    return out


@collector("secretsmanager.secrets")
def _secrets(s: AwsSession, region: str) -> list[dict[str, Any]]:
    secrets = _paginate(s.client("secretsmanager", region), "list_secrets", "SecretList")
    return [{"Name": x["Name"], "ARN": x.get("ARN"), "RotationEnabled": bool(x.get("RotationEnabled")),
             "RotationRules": x.get("RotationRules")} for x in secrets]


@collector("dynamodb.tables")
def _dynamodb_tables(s: AwsSession, region: str) -> list[dict[str, Any]]:
    ddb = s.client("dynamodb", region)
    out = []
    for name in _paginate(ddb, "list_tables", "TableNames"):
        desc = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        pitr = desc.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
        out.append({"TableName": name, "PointInTimeRecoveryStatus": pitr})
    return out
