"""What a public link shows of a snapshot: everything, everything but the raw proof, or a
copy with the identifiers masked.

A snapshot's raw proof names things an outsider should not learn from a share link: IAM
user names, access key ids, account ids, private repository names, people's names. The
person creating a link picks how much it discloses (LinkDisclosure); the link then
serves a *derived* copy, checksummed on its own, that names the checksum of the
original snapshot beside it, so an auditor can still tie it to the immutable original
the organization keeps.

Masking is deterministic: the same snapshot always gives the same copy (and checksum).
Every identifier found is replaced, wherever it occurs (resource ids, messages, raw data,
risk-acceptance notes), by a stable placeholder such as `[user-3]`, so the copy still
shows that two findings concern the same thing without saying what it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from compliance_app.models.snapshot import LinkDisclosure
from compliance_app.services.snapshots import compute_checksum

#: raw_data keys (compared lower-case, without "_" and "-") whose string values identify
#: a person, an account, a key or a resource.
IDENTIFYING_KEYS = frozenset({
    "accesskeyid", "account", "accountid", "arn", "bucket", "bucketname", "dbinstanceidentifier",
    "email", "fullname", "groupid", "groupname", "id", "instanceid", "keyid", "login", "name", "owner",
    "ownerid", "policyname", "repo", "repository", "repositoryname", "resourceid", "rolename", "trailname",
    "user", "username", "userid", "volumeid", "vpcid",
})  # fmt: skip

#: Identifiers recognised anywhere in text, whatever key holds them (kind, pattern).
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("arn", re.compile(r"\barn:aws[\w-]*:[^\s\"',]+")),
    ("key", re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|ANPA)[A-Z0-9]{12,20}\b")),
    ("account", re.compile(r"(?<!\d)\d{12}(?!\d)")),
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
)

#: Strings never worth masking (statuses, booleans spelled out, tiny tokens).
_MIN_LENGTH = 3


def disclose(data: dict[str, Any], original_checksum: str, mode: LinkDisclosure | str) -> tuple[dict[str, Any], str]:
    """(data, checksum) a link with this disclosure serves; FULL returns the original as is."""
    mode = LinkDisclosure(mode)
    if mode == LinkDisclosure.FULL:
        return data, original_checksum
    copy = hide_raw(data) if mode == LinkDisclosure.HIDE_RAW else redact_identifiers(data)
    copy["disclosure"] = {"mode": mode.value, "original_checksum": original_checksum}
    return copy, compute_checksum(copy)


def hide_raw(data: dict[str, Any]) -> dict[str, Any]:
    """The snapshot without raw API data or proof files: results, resources and messages stay."""
    copy = dict(data)
    copy["evidence"] = [{**row, "raw_data": None, "screenshot": None} for row in data.get("evidence") or []]
    return copy


def redact_identifiers(data: dict[str, Any]) -> dict[str, Any]:
    """The snapshot with every identifier replaced by a placeholder (see module doc)."""
    evidence = data.get("evidence") or []
    acceptances = data.get("risk_acceptances") or []
    found = _collect(evidence, acceptances)
    names = _placeholders(found)
    if not names:
        mask = lambda text: text  # noqa: E731 - nothing to mask
    else:
        # Longest first (an ARN before the account id inside it); whole tokens only, so a
        # user called "admin" does not turn "administrator" into "[user-1]istrator".
        alternatives = "|".join(re.escape(v) for v in sorted(names, key=len, reverse=True))
        pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")

        def mask(text: str) -> str:
            return pattern.sub(lambda m: names[m.group(0)], text)

    copy = dict(data)
    copy["evidence"] = [
        {
            **row,
            "resource_id": _mask_value(row.get("resource_id"), mask),
            "message": _mask_value(row.get("message"), mask),
            "raw_data": _mask_value(row.get("raw_data"), mask),
            "remediation_steps": _mask_value(row.get("remediation_steps"), mask),
            "screenshot": None,  # an image cannot be masked
        }
        for row in evidence
    ]
    copy["risk_acceptances"] = [
        {
            **item,
            "resource_id": _mask_value(item.get("resource_id"), mask),
            "reason": _mask_value(item.get("reason"), mask),
            "approved_by": "[approver]" if item.get("approved_by") else None,
        }
        for item in acceptances
    ]
    return copy


def _collect(evidence: list[dict[str, Any]], acceptances: list[dict[str, Any]]) -> dict[str, str]:
    """identifier -> kind, in the order first met (so placeholders number the same every time)."""
    found: dict[str, str] = {}

    def add(value: Any, kind: str) -> None:
        if isinstance(value, str) and len(value.strip()) >= _MIN_LENGTH and value not in found:
            found[value] = kind

    for row in [*evidence, *acceptances]:
        resource = row.get("resource_id")
        add(resource, "resource")
        if isinstance(resource, str) and "/" in resource and not resource.startswith("arn:"):
            for part in resource.split("/"):  # owner/repo: the owner and the name identify too
                add(part, "resource")
        for key, value in _leaves(row.get("raw_data")):
            if key is not None and _norm(key) in IDENTIFYING_KEYS:
                add(value, _kind_of(key))
        for text in _texts(row):
            for kind, pattern in PATTERNS:
                for match in pattern.finditer(text):
                    add(match.group(0), kind)
    return found


def _placeholders(found: dict[str, str]) -> dict[str, str]:
    counters: dict[str, int] = {}
    names: dict[str, str] = {}
    for value, kind in found.items():
        counters[kind] = counters.get(kind, 0) + 1
        names[value] = f"[{kind}-{counters[kind]}]"
    return names


def _norm(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def _kind_of(key: str) -> str:
    norm = _norm(key)
    if norm in {"user", "username", "userid", "login", "email", "fullname", "owner", "ownerid"}:
        return "user"
    if norm in {"account", "accountid"}:
        return "account"
    if norm in {"accesskeyid", "keyid"}:
        return "key"
    return "resource"


def _leaves(value: Any, key: str | None = None) -> Iterator[tuple[str | None, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, str(k))
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, key)
    else:
        yield key, value


def _texts(row: dict[str, Any]) -> Iterator[str]:
    for field in ("resource_id", "message", "reason"):
        if isinstance(row.get(field), str):
            yield row[field]
    for _key, value in _leaves(row.get("raw_data")):
        if isinstance(value, str):
            yield value


def _mask_value(value: Any, mask: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {mask(str(k)): _mask_value(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(v, mask) for v in value]
    return value
