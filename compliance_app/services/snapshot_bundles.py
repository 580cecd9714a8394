"""The bundle an auditor verifies offline: one JSON file per snapshot.

Exactly five keys: `snapshot` (the frozen data, or a share link's redacted copy),
`checksum` (of that data, DESIGN.md §5), `previous_checksum` (its predecessor in the
organization's chain), `envelope` (the DSSE envelope) and `public_key` (PEM of the key
that signed it). docs/verify.md checks one with nothing but Python and `cryptography`.

A redacted or raw-less copy is signed when it is served: its payload is the snapshot's
signed payload with `redacted_checksum` set to the copy's checksum. Ed25519 signatures
are deterministic, so the same copy always gets the same envelope; and the copy is signed
only after the snapshot itself verifies, so a tampered original is never vouched for.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from compliance_app.db import session_scope
from compliance_app.models.snapshot import AuditSnapshot, PublicLink
from compliance_app.models.types import utcnow
from compliance_app.services import crypto, signing, snapshot_signing
from compliance_app.services.authz import Actor, Permission, authorize_row
from compliance_app.services.errors import NotFound, ValidationError
from compliance_app.services.shares import LINK_NOT_FOUND, resolve_public
from compliance_app.services.snapshots import canonical_bytes

BUNDLE_KEYS = ("snapshot", "checksum", "previous_checksum", "envelope", "public_key")


@dataclass(frozen=True)
class Bundle:
    content: dict[str, Any]
    file_name: str

    def to_bytes(self) -> bytes:
        return json.dumps(self.content, ensure_ascii=False, indent=1).encode("utf-8")


def _file_name(data: dict[str, Any], snapshot_id: int, created_at: datetime) -> str:
    slug = re.sub(r"[^a-z0-9-]", "", str((data.get("organization") or {}).get("slug", "")).lower())
    return f"{slug or 'compliance'}-snapshot-{snapshot_id}-{created_at:%Y-%m-%d}.bundle.json"


def _signing_key_pem(s: Session, envelope: dict[str, Any]) -> str | None:
    for signature in envelope.get("signatures") or []:
        pem = signing.public_key_pem(s, str(signature.get("keyid")))
        if pem:
            return pem
    return None


def _unsigned(snapshot_id: int) -> ValidationError:
    return ValidationError(f"Snapshot {snapshot_id} was taken before snapshots were signed: it has no "
                           f"signature to export (`snapshot verify {snapshot_id}` checks its checksum).")


def _bundle(s: Session, snapshot: AuditSnapshot, data: dict[str, Any], checksum: str,
            envelope: dict[str, Any]) -> Bundle:
    return Bundle(
        {"snapshot": data, "checksum": checksum, "previous_checksum": snapshot.previous_checksum,
         "envelope": envelope, "public_key": _signing_key_pem(s, envelope)},
        _file_name(data, snapshot.id or 0, snapshot.created_at),
    )


def export_bundle(actor: Actor, snapshot_id: int) -> Bundle:
    """The bundle of a signed snapshot, as stored (members of its organization)."""
    with session_scope() as s:
        snapshot = authorize_row(s, actor, AuditSnapshot, snapshot_id, Permission.READ,
                                 f"Snapshot {snapshot_id} not found.")[0]
        if snapshot.envelope is None:
            raise _unsigned(snapshot.id or 0)
        return _bundle(s, snapshot, snapshot.data, snapshot.checksum, snapshot.envelope)


def _copy_envelope(s: Session, snapshot: AuditSnapshot, copy_checksum: str) -> dict[str, Any]:
    """The envelope vouching for a redacted copy; the stored one when the original does not verify."""
    stored = snapshot.envelope or {}
    check = snapshot_signing.check_snapshot(snapshot, signing.public_keys_by_id(s))
    payload = snapshot_signing.decode_payload(stored)
    if not check.valid or payload is None:
        return stored
    return signing.active_signer(s).envelope(canonical_bytes({**payload, "redacted_checksum": copy_checksum}))


def public_bundle(token: str) -> Bundle:
    """The bundle behind a live share link (counts a view like the other downloads)."""
    found = resolve_public(token)
    with session_scope() as s:
        snapshot = s.get(AuditSnapshot, found.snapshot_id)
        if snapshot is None:
            raise NotFound(LINK_NOT_FOUND)
        if snapshot.envelope is None:
            raise _unsigned(snapshot.id or 0)
        envelope = snapshot.envelope
        if found.checksum != snapshot.checksum:  # the link serves a redacted or raw-less copy
            envelope = _copy_envelope(s, snapshot, found.checksum)
        return _bundle(s, snapshot, found.data, found.checksum, envelope)


def _live_snapshot_id(s: Session, token: str) -> int:
    """The snapshot a live link opens, without counting a view (the page counts its own)."""
    snapshot_id = s.execute(
        sa.select(PublicLink.snapshot_id).where(
            PublicLink.token_hash == crypto.hash_token(token if isinstance(token, str) else ""),
            col(PublicLink.revoked_at).is_(None),
            PublicLink.expires_at > utcnow(),
        )
    ).scalar_one_or_none()
    if snapshot_id is None:
        raise NotFound(LINK_NOT_FOUND)
    return snapshot_id


@dataclass(frozen=True)
class ShareSignature:
    """What the public share page says about a snapshot's signature and chain."""

    label: str
    head_sequence: int | None
    head_checksum: str | None
    keys: list[signing.PublicKeyInfo]
    signed: bool


def share_signature(token: str) -> ShareSignature:
    """The signature line, the organization's chain head and the published keys of a live link."""
    with session_scope() as s:
        snapshot_id = _live_snapshot_id(s, token)
        organization_id: uuid.UUID = s.execute(
            sa.select(AuditSnapshot.organization_id).where(AuditSnapshot.id == snapshot_id)).scalar_one()
        label = snapshot_signing.labels_in(s, organization_id, [snapshot_id])[snapshot_id]
        head = snapshot_signing.head_of(s, organization_id)
    return ShareSignature(label.text, head.sequence if head else None, head.checksum if head else None,
                          signing.list_public_keys(), label.signed)
