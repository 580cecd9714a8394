"""Shared plumbing for AWS checks: collection vs. evaluation, and errors that never pass.

A check declares which collector it reads and implements a pure `evaluate(data, region)`;
the base classes here call the session, turn CollectionError into ERROR findings (per
region for regional services), and turn any unexpected exception into an ERROR finding
with a readable reason so one buggy check cannot abort a scan.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from compliance_app.checks.base import Check, Finding
from compliance_app.vocabulary import CollectionError, EvidenceStatus

log = logging.getLogger(__name__)

ACCOUNT = "account"
INTERNET_CIDRS = {"0.0.0.0/0", "::/0"}


def jsonable(value: Any) -> Any:
    """raw_data is stored as JSON: datetimes become ISO strings, tuples lists."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


def passed(resource_id: str, message: str, raw: dict[str, Any] | None = None,
           region: str | None = None) -> Finding:
    return Finding(resource_id, EvidenceStatus.PASS, message, jsonable(raw or {}), region)


def failed(resource_id: str, message: str, raw: dict[str, Any] | None = None,
           region: str | None = None) -> Finding:
    return Finding(resource_id, EvidenceStatus.FAIL, message, jsonable(raw or {}), region)


def result(ok: bool, resource_id: str, pass_msg: str, fail_msg: str, raw: dict[str, Any] | None = None,
           region: str | None = None) -> Finding:
    return (passed if ok else failed)(resource_id, pass_msg if ok else fail_msg, raw, region)


def as_datetime(value: Any) -> datetime | None:
    """Accept boto datetimes and the ISO strings found in fixtures/credential reports."""
    if value is None or value in ("", "N/A", "no_information", "not_supported"):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


def attr_error(value: Any) -> str | None:
    """Per-attribute collection errors look like {"__error__": reason} (see s3.buckets)."""
    if isinstance(value, dict) and "__error__" in value:
        return value["__error__"]
    return None


def unexpected(check: Check, exc: Exception, region: str | None = None) -> Finding:
    log.exception("check %s failed unexpectedly", check.meta.key)
    resource = f"region/{region}" if region else ACCOUNT
    return Finding.error(resource, f"Check {check.meta.key} failed unexpectedly: {type(exc).__name__}: {exc}",
                         region=region)


def collect_optional(session: Any, name: str) -> Any:
    """Data that refines a verdict but is not needed for one: {"__error__": reason} if unreadable."""
    try:
        return session.collect(name)
    except CollectionError as exc:
        return {"__error__": exc.reason}


class AwsCheck(Check):
    """Account-wide check reading one or more global collectors, evaluated once.

    `optional` collectors are passed after the others, as {"__error__": reason} when they
    cannot be read (the check then decides without them, never passing for lack of them).
    """

    collectors: ClassVar[tuple[str, ...]] = ()
    optional: ClassVar[tuple[str, ...]] = ()

    def run(self, session: Any) -> list[Finding]:
        try:
            data = [session.collect(name) for name in self.collectors]
            data += [collect_optional(session, name) for name in self.optional]
            return self.evaluate(*data)
        except CollectionError as exc:
            return [Finding.error(ACCOUNT, exc.reason)]
        except Exception as exc:
            return [unexpected(self, exc)]

    def evaluate(self, *data: Any) -> list[Finding]:  # pragma: no cover - interface
        raise NotImplementedError


class RegionalCheck(Check):
    """Per-region check over the session's scanned regions (read concurrently).

    A region that cannot be read is ERROR; the others are still evaluated. A region the
    provider skipped (denied by an SCP, not opted in) is not in session.regions: its skip is
    recorded once in the session's coverage, not as an ERROR per check.
    """

    collector: ClassVar[str]

    def run(self, session: Any) -> list[Finding]:
        findings: list[Finding] = []
        try:
            by_region = session.collect_regions(self.collector)
        except CollectionError as exc:  # the session could not open: no region can be read
            return [Finding.error(ACCOUNT, exc.reason)]
        for region, data in by_region.items():
            try:
                if isinstance(data, CollectionError):
                    raise data
                found = self.evaluate(data, region)
            except CollectionError as exc:
                found = [Finding.error(f"region/{region}", exc.reason, region=region)]
            except Exception as exc:
                found = [unexpected(self, exc, region)]
            for f in found:
                f.region = f.region or region
            findings.extend(found)
        return findings

    def evaluate(self, data: Any, region: str) -> list[Finding]:  # pragma: no cover - interface
        raise NotImplementedError


class MultiRegionCheck(Check):
    """Reads a regional collector in every region, then decides once over all of them.

    `evaluate` receives {region: data} for readable regions; unreadable regions become
    ERROR findings alongside (used where a resource seen from many regions, e.g. a
    multi-region trail, must be judged once).
    """

    collector: ClassVar[str]
    #: global collectors passed to evaluate after by_region, e.g. ("s3.buckets",)
    extra: ClassVar[tuple[str, ...]] = ()
    #: global collectors passed last, {"__error__": reason} when unreadable (see AwsCheck)
    optional: ClassVar[tuple[str, ...]] = ()

    def run(self, session: Any) -> list[Finding]:
        by_region: dict[str, Any] = {}
        errors: list[Finding] = []
        try:
            collected = session.collect_regions(self.collector)
        except CollectionError as exc:
            return [Finding.error(ACCOUNT, exc.reason)]
        for region, data in collected.items():
            if isinstance(data, CollectionError):
                errors.append(Finding.error(f"region/{region}", data.reason, region=region))
            else:
                by_region[region] = data
        try:
            if not by_region:
                return errors
            extra = [session.collect(name) for name in self.extra]
            extra += [collect_optional(session, name) for name in self.optional]
            return self.evaluate(by_region, *extra) + errors
        except CollectionError as exc:
            return [Finding.error(ACCOUNT, exc.reason), *errors]
        except Exception as exc:
            return [unexpected(self, exc), *errors]

    def evaluate(self, by_region: dict[str, Any], *extra: Any) -> list[Finding]:  # pragma: no cover - interface
        raise NotImplementedError


def frameworks(soc2: list[str], iso: list[str], cis: list[str] | None = None) -> dict[str, list[str]]:
    out = {"SOC 2": soc2, "ISO 27001": iso}
    if cis:
        out["CIS"] = cis
    return out


PUBLIC_GRANTEES = {"http://acs.amazonaws.com/groups/global/AllUsers",
                   "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}
PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def effective_block(bucket: dict[str, Any], account: dict[str, Any] | None = None) -> dict[str, bool]:
    """Block Public Access as S3 applies it: a flag is on if the bucket or the account sets it.

    An unreadable setting counts as off (a possible false FAIL, never a false PASS).
    """
    own = bucket.get("PublicAccessBlock") or {}
    own = {} if attr_error(own) else own
    account = {} if attr_error(account) else (account or {})
    return {flag: bool(own.get(flag) or account.get(flag)) for flag in PAB_FLAGS}


def bucket_exposure(bucket: dict[str, Any], account: dict[str, Any] | None = None) -> tuple[list[str], str | None]:
    """(reasons the bucket is public, error) from its ACL, policy status and Block Public Access.

    Block Public Access (the bucket's or the account's) wins: IgnorePublicAcls neutralises public
    grants, RestrictPublicBuckets a public policy. An unreadable input that could matter yields an
    error, never "not public".
    """
    block = effective_block(bucket, account)
    reasons = []
    if not block["IgnorePublicAcls"]:
        grants = bucket.get("Grants")
        if err := attr_error(grants):
            return [], err
        public = sorted({g["Grantee"].rsplit("/", 1)[-1] for g in grants or [] if g.get("Grantee") in PUBLIC_GRANTEES})
        if public:
            reasons.append(f"ACL grants access to {', '.join(public)}")
    if not block["RestrictPublicBuckets"]:
        status = bucket.get("PolicyStatus")
        if err := attr_error(status):
            return [], err
        if (status or {}).get("IsPublic"):
            reasons.append("bucket policy is public")
    return reasons, None
