"""The activity trail: services call `record` inside their own transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from compliance_app.models import ActivityLog
from compliance_app.services.authz import Actor

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
