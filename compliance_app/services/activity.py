"""The activity trail: services call `record` inside their own transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from compliance_app.models import ActivityLog
from compliance_app.services.authz import Actor
from compliance_app.vocabulary import PROVIDER_LABELS

_SECRET_HINTS = ("token", "secret", "password", "key")


def _scrub(meta: dict[str, Any]) -> dict[str, Any]:
    """Drop anything that looks like a secret, whatever a caller passes."""
    return {k: v for k, v in meta.items() if not any(h in k.lower() for h in _SECRET_HINTS)}


def _storable(value: Any) -> Any:
    """The trail keeps what people typed (names, labels, file names, user agents), but PostgreSQL text and
    JSONB hold neither NUL nor lone surrogates: those are written as escapes (\\x00, \\ud800) rather than
    failing the action being recorded."""
    if isinstance(value, str):
        return value.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    organization_id: uuid.UUID | None = None,
    target: str = "",
    meta: dict[str, Any] | None = None,
) -> ActivityLog:
    entry = ActivityLog(
        organization_id=organization_id,
        actor_id=actor.user_id,
        actor_label=_storable(actor.label),
        action=action,
        target=_storable(target[:400]),
        meta=_storable(_scrub({**actor.request, **(meta or {})})),
    )
    session.add(entry)
    return entry


#: How the Activity page says what happened. {who} is the actor; other fields come from the
#: entry's target and meta (missing ones read as "?"), so an old entry still reads.
SENTENCES: dict[str, str] = {
    "organization.created": "{who} created the organization",
    "organization.updated": "{who} changed the organization's settings",
    "notifications.updated": "{who} changed the notification settings",
    "member.added": "{who} added {target} as {role}",
    "member.removed": "{who} removed {target} from the organization",
    "member.left": "{who} left the organization",
    "integration.added": "{who} connected {provider} “{name}”",
    "integration.updated": "{who} edited {provider} “{name}”",
    "integration.removed": "{who} removed {provider} “{name}”",
    "integration.tested": "{who} tested the {provider} connection: {outcome}",
    "scan.requested": "{who} ran a scan",
    "risk.accepted": "{who} accepted the risk of {question}{resource} until {expires}",
    "risk.revoked": "{who} revoked a risk acceptance",
    "evidence.file_uploaded": "{who} uploaded the proof file “{filename}”",
    "snapshot.create": "{who} froze an audit into a snapshot",
    "snapshot.pin": "{who} pinned a snapshot (kept forever)",
    "snapshot.unpin": "{who} unpinned a snapshot",
    "snapshot.retention": "{deleted} unpinned snapshots older than {retention_days} days were deleted",
    "share.create": "{who} created a public link to snapshot #{snapshot_id}, valid until {expires}",
    "share.revoke": "{who} revoked a public link",
    "token.created": "{who} created the API token “{name}” (scope {scope}), valid until {expires}",
    "token.revoked": "{who} revoked the API token “{name}”",
    "user.signed_up": "{who} created an account",
    "user.login": "{who} signed in",
    "user.login_failed": "A sign-in as {who} failed",
    "user.logout": "{who} signed out",
    "user.logout_everywhere": "{who} signed out on every device",
    "user.password_changed": "{who} changed their password",
}


def _day(value: Any) -> str:
    """'27 Nov 2026' from an ISO timestamp kept in meta (as written; '?' when unreadable)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return "?"
    return f"{moment.day} {moment:%b %Y}"


def sentence(action: str, who: str, target: str, meta: dict[str, Any]) -> str:
    """'Ann accepted the risk of github_org_2fa_required until 27 Nov 2026.' for one entry."""
    template = SENTENCES.get(action)
    if template is None:
        return f"{who}: {action}" + (f" ({target})" if target else "") + "."
    fields: dict[str, Any] = {k: v for k, v in meta.items() if isinstance(v, str | int | float)}
    fields.update(
        who=who or "The system",
        target=target or "?",
        provider=PROVIDER_LABELS.get(str(meta.get("provider", "")), meta.get("provider") or "an integration"),
        outcome="working" if meta.get("ok") else "failing",
        resource=f" for {meta['resource_id']}" if meta.get("resource_id") else "",
        expires=_day(meta.get("expires_at")),
    )
    text = template.format_map(_Blank(fields))
    if not template.startswith("{who}"):  # a name or an email keeps its own case
        text = text[:1].upper() + text[1:]
    return text + "."


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "?"
