"""Each organization's snapshots as a signed hash chain.

A snapshot taken since this change records its `sequence` (1, 2, 3… per organization)
and the `previous_checksum` of the snapshot before it inside its data, so its checksum
covers its place in the chain, and carries a DSSE envelope (services/signing.py) whose
payload names its checksum, place, organization and creation time. Creates of one
organization are serialized on its `snapshot_chain_head` row (SELECT … FOR UPDATE), so
two concurrent creates never get the same sequence. Retention leaves a tombstone with the
deleted snapshot's checksum and envelope, so later links still verify; a snapshot deleted
any other way leaves a gap (or a head nobody holds) that verification names.

Snapshots taken before the chain existed have no sequence and are reported "unsigned".
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from compliance_app.db import session_scope
from compliance_app.models.organization import Organization
from compliance_app.models.snapshot import AuditSnapshot, SnapshotChainHead, SnapshotTombstone
from compliance_app.models.types import utcnow
from compliance_app.services import signing
from compliance_app.services.authz import Actor, Permission
from compliance_app.services.snapshots import authorize_org, canonical_bytes, compute_checksum

#: How far a tombstone's deletion time may lie ahead of this clock (machines disagree a little).
CLOCK_SKEW = timedelta(hours=1)
#: The fields of a signed payload; nothing else may appear.
PAYLOAD_FIELDS = ("checksum", "redacted_checksum", "previous_checksum", "sequence", "snapshot_id",
                  "organization_id", "organization_slug", "created_at")


@dataclass(frozen=True)
class ChainLink:
    """Where the next snapshot of an organization goes."""

    sequence: int
    previous_checksum: str | None


def next_link(s: Session, organization_id: uuid.UUID) -> ChainLink:
    """Lock the organization's chain head until the caller's transaction ends; the next place.

    The row is created on the organization's first signed snapshot; two first creates meet
    on its primary key (ON CONFLICT DO NOTHING waits for the other transaction), then both
    lock the same row.
    """
    if s.get_bind().dialect.name == "postgresql":
        s.execute(pg_insert(SnapshotChainHead).values(organization_id=organization_id, sequence=0,
                                                      updated_at=utcnow()).on_conflict_do_nothing())
    elif s.get(SnapshotChainHead, organization_id) is None:
        s.add(SnapshotChainHead(organization_id=organization_id))
        s.flush()
    head = s.exec(
        select(SnapshotChainHead).where(SnapshotChainHead.organization_id == organization_id).with_for_update()
    ).one()
    return ChainLink(head.sequence + 1, head.checksum)


def advance_head(s: Session, organization_id: uuid.UUID, sequence: int, checksum: str) -> None:
    s.execute(
        sa.update(SnapshotChainHead).where(SnapshotChainHead.organization_id == organization_id)
        .values(sequence=sequence, checksum=checksum, updated_at=utcnow())
    )


def iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def payload_bytes(*, checksum: str, previous_checksum: str | None, sequence: int, snapshot_id: int,
                  organization_id: uuid.UUID | str, organization_slug: str, created_at: datetime,
                  redacted_checksum: str | None = None) -> bytes:
    """The canonical JSON (DESIGN.md §5) an envelope signs."""
    return canonical_bytes({
        "checksum": checksum,
        "redacted_checksum": redacted_checksum,
        "previous_checksum": previous_checksum,
        "sequence": sequence,
        "snapshot_id": snapshot_id,
        "organization_id": str(organization_id),
        "organization_slug": organization_slug,
        "created_at": iso_utc(created_at),
    })


def reserve_snapshot_id(s: Session) -> int | None:
    """The id the next snapshot will get (PostgreSQL), so its envelope goes into the INSERT:
    the immutability trigger refuses to add one later. None elsewhere (no trigger there)."""
    if s.get_bind().dialect.name != "postgresql":
        return None
    return s.execute(sa.text("SELECT nextval(pg_get_serial_sequence('audit_snapshot', 'id'))")).scalar_one()


def decode_payload(envelope: dict[str, Any] | None) -> dict[str, Any] | None:
    """The payload an envelope carries, unverified (for display); None when unreadable."""
    try:
        payload = json.loads(base64.b64decode(str((envelope or {}).get("payload", "")), validate=True))
    except (ValueError, TypeError):
        return None
    return payload if isinstance(payload, dict) else None


@dataclass
class Check:
    """One snapshot's verdict: checksum, signature, place in the chain."""

    snapshot_id: int
    checksum_ok: bool
    signature: str  # "valid" | "invalid" | "unsigned"
    keyid: str | None = None
    sequence: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.checksum_ok and self.signature != "invalid" and not self.problems


@dataclass(frozen=True)
class _Entry:
    """A chain member as its signed payload tells it (snapshot or tombstone)."""

    snapshot_id: int
    sequence: int
    checksum: str
    previous_checksum: str | None
    created_at: str


def _open(envelope: Any, keys: dict[str, Ed25519PublicKey]) -> tuple[dict[str, Any] | None, str | None, str]:
    """(payload, keyid, problem): the payload only when a signature verifies and the fields are exact."""
    raw, keyid_or_why = signing.open_envelope(envelope, keys)
    if raw is None:
        return None, None, keyid_or_why
    payload = json.loads(raw)
    if not isinstance(payload, dict) or set(payload) != set(PAYLOAD_FIELDS):
        return None, None, "the signed payload does not have the snapshot payload's fields"
    return payload, keyid_or_why, ""


def check_snapshot(snapshot: AuditSnapshot, keys: dict[str, Ed25519PublicKey]) -> Check:
    """Checksum of the data, signature, and that the signed payload names this very row."""
    recomputed = compute_checksum(snapshot.data)
    result = Check(snapshot.id or 0, recomputed == snapshot.checksum, "unsigned", sequence=snapshot.sequence)
    if not result.checksum_ok:
        result.problems.append(f"the data's checksum is {recomputed}, not the recorded {snapshot.checksum}")
    if snapshot.envelope is None and snapshot.sequence is None and snapshot.previous_checksum is None \
            and "chain" not in (snapshot.data or {}):
        return result  # taken before snapshots were signed
    payload, keyid, why = _open(snapshot.envelope, keys)
    if payload is None:
        result.signature = "invalid"
        result.problems.append(why)
        return result
    result.signature, result.keyid = "valid", keyid
    chain = (snapshot.data or {}).get("chain") or {}
    expected = {
        "checksum": snapshot.checksum,
        "redacted_checksum": None,
        "previous_checksum": snapshot.previous_checksum,
        "sequence": snapshot.sequence,
        "snapshot_id": snapshot.id,
        "organization_id": str(snapshot.organization_id),
    }
    for name, value in expected.items():
        if payload.get(name) != value:
            result.problems.append(f"the signed {name} is {payload.get(name)!r}, the snapshot's is {value!r}")
    if chain.get("sequence") != payload["sequence"] or chain.get("previous_checksum") != payload["previous_checksum"]:
        result.problems.append("the chain recorded in the data differs from the signed one")
    if payload.get("created_at") != iso_utc(snapshot.created_at):
        result.problems.append(f"created_at {iso_utc(snapshot.created_at)} differs from the signed time "
                               f"{payload.get('created_at')} (backdated?)")
    return result


def _entries(s: Session, organization_id: uuid.UUID, keys: dict[str, Ed25519PublicKey],
             problems: list[str]) -> list[_Entry]:
    """Every signed snapshot and tombstone of the organization, as their envelopes say."""
    found: list[_Entry] = []
    rows = s.execute(
        sa.select(AuditSnapshot.id, AuditSnapshot.envelope, AuditSnapshot.created_at)
        .where(AuditSnapshot.organization_id == organization_id,
               sa.or_(col(AuditSnapshot.sequence).is_not(None), col(AuditSnapshot.envelope).is_not(None)))
    ).all()
    tombs = s.exec(select(SnapshotTombstone).where(SnapshotTombstone.organization_id == organization_id)).all()
    retention_days = s.execute(sa.select(Organization.snapshot_retention_days)
                               .where(Organization.id == organization_id)).scalar_one()
    members = [(r.id, r.envelope, r.created_at, None) for r in rows] + [
        (t.snapshot_id, t.envelope, t.created_at, t.deleted_at) for t in tombs]
    for snapshot_id, envelope, created_at, deleted_at in members:
        is_tombstone = deleted_at is not None
        payload, _keyid, why = _open(envelope, keys)
        what = f"tombstone of snapshot {snapshot_id}" if is_tombstone else f"snapshot {snapshot_id}"
        if payload is None:
            problems.append(f"{what}: {why}")
            continue
        if payload["snapshot_id"] != snapshot_id or payload["organization_id"] != str(organization_id):
            problems.append(f"{what}: its envelope belongs to snapshot {payload['snapshot_id']}")
            continue
        if payload["created_at"] != iso_utc(created_at):
            problems.append(f"{what}: created_at {iso_utc(created_at)} differs from the signed time "
                            f"{payload['created_at']} (backdated?)")
        if deleted_at is not None and not (
                datetime.fromisoformat(payload["created_at"]) + timedelta(days=retention_days) <= deleted_at
                <= utcnow() + CLOCK_SKEW):
            # Its envelope can be copied from the deleted row: what retention alone can do is
            # delete a snapshot older than the retention, and the signed time says how old it was.
            problems.append(f"{what}: signed at {payload['created_at']}, it was younger than the "
                            f"{retention_days}-day retention when deleted ({iso_utc(deleted_at)}): it was "
                            "deleted by hand")
        found.append(_Entry(snapshot_id, payload["sequence"], payload["checksum"], payload["previous_checksum"],
                            payload["created_at"]))
    return sorted(found, key=lambda e: (e.sequence, e.snapshot_id))


def chain_problems(s: Session, organization_id: uuid.UUID, keys: dict[str, Ed25519PublicKey]) -> list[str]:
    """Everything wrong with the organization's chain: gaps, forks, broken links, a lost head."""
    problems: list[str] = []
    entries = _entries(s, organization_id, keys, problems)
    head = s.get(SnapshotChainHead, organization_id)
    previous: _Entry | None = None
    for entry in entries:
        if previous is not None and entry.sequence == previous.sequence:
            problems.append(f"snapshots {previous.snapshot_id} and {entry.snapshot_id} share sequence "
                            f"{entry.sequence}: the chain forks")
        elif previous is None and entry.sequence != 1:
            problems.append(f"sequences 1 to {entry.sequence - 1} are missing (no snapshot, no tombstone): "
                            "snapshots were deleted")
        elif previous is not None and entry.sequence != previous.sequence + 1:
            problems.append(f"sequence {previous.sequence + 1} to {entry.sequence - 1}, between snapshot "
                            f"{previous.snapshot_id} and snapshot {entry.snapshot_id}, is missing and has no "
                            "tombstone: a snapshot was deleted")
        elif previous is not None and entry.previous_checksum != previous.checksum:
            problems.append(f"snapshot {entry.snapshot_id} does not chain to snapshot {previous.snapshot_id}: "
                            f"it names {entry.previous_checksum}, which is not {previous.checksum}")
        elif previous is None and entry.previous_checksum is not None:
            problems.append(f"snapshot {entry.snapshot_id} is first in the chain but names a predecessor")
        if previous is not None and entry.created_at < previous.created_at:
            problems.append(f"snapshot {entry.snapshot_id} was signed as created before snapshot "
                            f"{previous.snapshot_id}, which precedes it in the chain")
        previous = entry
    newest = entries[-1] if entries else None
    if head is not None and head.sequence > 0 and (newest is None or newest.sequence < head.sequence):
        have = f"the newest present is sequence {newest.sequence}" if newest else "none is present"
        problems.append(f"the chain head is sequence {head.sequence} (sha256 {head.checksum}) but {have}: "
                        "the newest snapshot was deleted")
    elif newest is not None and (head is None or head.sequence != newest.sequence or head.checksum != newest.checksum):
        problems.append(f"snapshot {newest.snapshot_id} (sequence {newest.sequence}) is not the recorded chain "
                        "head")
    return problems


def verify(s: Session, snapshot: AuditSnapshot) -> Check:
    """The snapshot's own check plus its organization's whole chain."""
    keys = signing.public_keys_by_id(s)
    result = check_snapshot(snapshot, keys)
    own = [f"snapshot {snapshot.id}: {p}" for p in result.problems]
    result.problems = own + [p for p in chain_problems(s, snapshot.organization_id, keys) if p not in own]
    return result


def tombstone(s: Session, snapshot: AuditSnapshot, deleted_at: datetime) -> None:
    """Keep what the chain needs of a signed snapshot that retention deletes."""
    if snapshot.sequence is None or snapshot.envelope is None:
        return
    s.add(SnapshotTombstone(
        snapshot_id=snapshot.id, organization_id=snapshot.organization_id, sequence=snapshot.sequence,
        checksum=snapshot.checksum, previous_checksum=snapshot.previous_checksum, envelope=snapshot.envelope,
        created_at=snapshot.created_at, deleted_at=deleted_at,
    ))


@dataclass(frozen=True)
class SignatureLabel:
    """What the snapshots page and the share page say about one snapshot's signature."""

    snapshot_id: int
    signed: bool
    keyid: str | None
    sequence: int | None
    previous_snapshot_id: int | None
    previous_checksum: str | None
    previous_is_tombstone: bool

    @property
    def text(self) -> str:
        if not self.signed:
            return "unsigned (taken before snapshots were signed)"
        key = f"key {self.keyid[:12]}…" if self.keyid else "an unknown key"
        if self.sequence == 1 or self.previous_checksum is None:
            chained = "first in this organization's chain"
        elif self.previous_snapshot_id is None:
            chained = f"chained to sequence {(self.sequence or 1) - 1}, which is missing"
        else:
            gone = " (expired, tombstone kept)" if self.previous_is_tombstone else ""
            chained = f"chained to snapshot #{self.previous_snapshot_id}{gone}"
        return f"signed by this installation ({key}), sequence {self.sequence}, {chained}"


def labels_in(s: Session, organization_id: uuid.UUID, snapshot_ids: list[int]) -> dict[int, SignatureLabel]:
    """Labels for the given snapshots of one organization (the caller has authorized).

    One statement: each snapshot with the snapshot or tombstone one before it in the chain, and of
    its envelope only the key id (the snapshots page lists these on every load)."""
    previous = aliased(AuditSnapshot)
    rows = s.execute(
        sa.select(
            AuditSnapshot.id, AuditSnapshot.sequence, AuditSnapshot.previous_checksum,
            AuditSnapshot.envelope.is_not(None).label("signed"),
            # A JSON path, not jsonb_extract_path_text: the embedded SQLite database reads it too.
            AuditSnapshot.envelope[("signatures", 0, "keyid")].as_string().label("keyid"),
            previous.id.label("previous_id"), SnapshotTombstone.snapshot_id.label("tombstone_id"),
        )
        .outerjoin(previous, (previous.organization_id == organization_id)
                   & (previous.sequence == AuditSnapshot.sequence - 1))
        .outerjoin(SnapshotTombstone, (SnapshotTombstone.organization_id == organization_id)
                   & (SnapshotTombstone.sequence == AuditSnapshot.sequence - 1))
        .where(AuditSnapshot.organization_id == organization_id, col(AuditSnapshot.id).in_(snapshot_ids))
    ).all()
    return {
        r.id: SignatureLabel(
            snapshot_id=r.id, signed=r.signed, keyid=r.keyid, sequence=r.sequence,
            previous_snapshot_id=r.tombstone_id if r.tombstone_id is not None else r.previous_id,
            previous_checksum=r.previous_checksum, previous_is_tombstone=r.tombstone_id is not None,
        )
        for r in rows
    }


@dataclass(frozen=True)
class ChainHead:
    sequence: int
    checksum: str | None


def head_of(s: Session, organization_id: uuid.UUID) -> ChainHead | None:
    head = s.get(SnapshotChainHead, organization_id)
    return ChainHead(head.sequence, head.checksum) if head and head.sequence else None


@dataclass(frozen=True)
class ChainOverview:
    """For the snapshots page: the chain head and one label per listed snapshot."""

    head: ChainHead | None
    labels: dict[int, str]


def chain_overview(actor: Actor, org: uuid.UUID | str, snapshot_ids: list[int]) -> ChainOverview:
    """The organization's chain head and what to say about each of the listed snapshots."""
    with session_scope() as s:
        access = authorize_org(s, actor, org, Permission.READ)
        return overview_in(s, access.organization.id, snapshot_ids)


def overview_in(s: Session, organization_id: uuid.UUID, snapshot_ids: list[int]) -> ChainOverview:
    """chain_overview in the caller's transaction (the caller has authorized)."""
    ids = [i for i in snapshot_ids if isinstance(i, int) and 0 < i < 2**31][:200]
    labels = labels_in(s, organization_id, ids)
    return ChainOverview(head_of(s, organization_id), {i: label.text for i, label in labels.items()})
