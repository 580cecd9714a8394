"""Immutable, checksummed audit snapshots (DESIGN.md §5).

A snapshot freezes a completed audit into one JSON document that anyone can verify:
checksum = SHA-256 of `canonical_bytes(data)`. The document holds only what an outside
reader needs (no secrets, no internal ids besides the audit id). Nothing here updates
`data` or `checksum`; PostgreSQL's `audit_snapshot_immutable` trigger refuses it anyway.
Pinning is the one allowed change.

Each new snapshot is also the next link of its organization's signed hash chain
(services/snapshot_signing.py): its data records its sequence and the previous
snapshot's checksum, and each proof file's SHA-256, so the signature covers them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import PurePath
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by
from sqlalchemy.orm import defer
from sqlmodel import Session, col, func, select

from compliance_app.db import session_scope
from compliance_app.models import (
    Audit,
    AuditSnapshot,
    AuditStatus,
    Evidence,
    Organization,
    Question,
    RiskAcceptanceException,
    User,
)
from compliance_app.models.snapshot import SnapshotListing
from compliance_app.models.types import utcnow
from compliance_app.services import activity, snapshot_listing
from compliance_app.services.authz import (
    Access,
    Actor,
    Permission,
    authorize,
    authorize_row,
    authorize_slug,
    parse_uuid,
)
from compliance_app.services.errors import ValidationError
from compliance_app.services.proof import current_proofs, evidence_dir, expires_on
from compliance_app.services.scans import MAX_PAGE
from compliance_app.services.scoring import evidence_groups, score_audit
from compliance_app.services.snapshot_figures import snapshot_checks

#: Bumped if the layout of `data` ever changes, so verifiers know what they read.
#: 2: chain and proof files' SHA-256; 3: each row's proof date, expiry and missing file.
SNAPSHOT_FORMAT = "compliance_app.snapshot/3"
PAGE_SIZE = 20

#: What we tell people about verifying a downloaded snapshot JSON (page, PDF, CLI).
VERIFY_ONE_LINER = (
    'python3 -c "import json,hashlib,sys; d=json.load(open(sys.argv[1]))[\'snapshot\']; '
    "print(hashlib.sha256(json.dumps(d,sort_keys=True,separators=(',',':'),"
    "ensure_ascii=False).encode('utf-8')).hexdigest())\" snapshot.json"
)


def canonical_bytes(data: Any) -> bytes:
    """The exact encoding the checksum covers; DESIGN.md §5 publishes it for verifiers."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def compute_checksum(data: Any) -> str:
    return hashlib.sha256(canonical_bytes(data)).hexdigest()


@dataclass(frozen=True)
class SnapshotSummary:
    """A snapshot without its (possibly large) data, for lists and command output."""

    id: int
    audit_id: uuid.UUID
    organization_id: uuid.UUID
    checksum: str
    is_pinned: bool
    created_at: datetime
    created_by: str | None
    audit_finished_at: str | None
    score: int | None
    evidence_count: int
    valid: bool | None = None
    #: What the score counted: "scored n of m checks (k could not run)", or "scored per
    #: resource (before …)" for a snapshot frozen before scores went per check.
    score_basis: str = ""
    #: When `valid` was established (None: never verified since it was first listed).
    verified_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "audit_id": str(self.audit_id),
            "organization_id": str(self.organization_id),
            "checksum": self.checksum,
            "is_pinned": self.is_pinned,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "audit_finished_at": self.audit_finished_at,
            "score": self.score,
            "evidence_count": self.evidence_count,
            "valid": self.valid,
            "score_basis": self.score_basis,
            "verified_at": _iso(self.verified_at),
        }


@dataclass(frozen=True)
class SnapshotPage:
    items: list[SnapshotSummary]
    page: int
    total: int
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class VerifyResult:
    snapshot_id: int
    valid: bool
    stored: str
    recomputed: str
    #: "valid" | "invalid" | "unsigned" (taken before snapshots were signed)
    signature: str = "unsigned"
    keyid: str | None = None
    sequence: int | None = None
    #: What is wrong beyond the checksum: signature, signed fields, the organization's chain.
    problems: tuple[str, ...] = ()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def authorize_org(s: Session, actor: Actor, org: uuid.UUID | str, permission: Permission) -> Access:
    """Organizations are addressed by id (pages, API) or by slug (CLI)."""
    if isinstance(org, uuid.UUID):
        return authorize(s, actor, org, permission)
    try:
        return authorize(s, actor, uuid.UUID(org), permission)
    except ValueError:
        return authorize_slug(s, actor, org, permission)


def _load_authorized(s: Session, actor: Actor, snapshot_id: int, permission: Permission,
                     *, with_data: bool = True) -> AuditSnapshot:
    """The snapshot if the actor may act on it; a stranger cannot tell it exists.

    Without `with_data` its (possibly large) data is not read (pinning does not need it)."""
    options = () if with_data else (defer(AuditSnapshot.data),)  # type: ignore[arg-type]
    return authorize_row(s, actor, AuditSnapshot, snapshot_id, permission, f"Snapshot {snapshot_id} not found.",
                         options)[0]


def _jsonb_float(text: str) -> float | int:
    """A JSON float as it will read back after a trip through JSONB.

    The checksum covers what later readers get from the database, and JSONB stores
    numbers as exact decimals: Python writes 1.2345678901234567e+19 but JSONB gives back
    12345678901234567000 (an integer), and -0.0 comes back as 0.0. Only evidence carries
    floats (raw_data); everything else in a snapshot is strings, integers and nulls.
    """
    value = float(text)
    if value == 0:
        return 0.0
    written = repr(value)
    if "e+" in written:
        return int(Decimal(written))
    return value


def _evidence_rows(s: Session, audit: Audit) -> list[dict[str, Any]]:
    """Every evidence row with its question, built by PostgreSQL as ONE JSON array.

    One joined query and one json.loads: decoding 10,000 rows' raw_data one value at a
    time (or loading ORM objects) costs several times more than the whole rest of create.
    Numbers are read the way JSONB will store them again (see `_jsonb_float`).
    Each row gets the organization's current proof for its check and resource (`_add_proof`).
    """
    audit_id = audit.id
    fields = {
        "question_key": Question.key,
        "title": Question.title,
        "severity": Question.severity,
        "frameworks": Question.frameworks,
        "provider": Question.provider,
        "service": Question.service,
        "status": Evidence.status,
        "resource_id": Evidence.resource_id,
        "region": Evidence.region,
        "message": Evidence.message,
        "raw_data": Evidence.raw_data,
        "remediation_steps": Evidence.remediation_steps,
    }
    order = (Question.key, Evidence.resource_id, Evidence.id)
    if s.get_bind().dialect.name == "postgresql":
        # json (not jsonb) builders: plain text concatenation, no re-parsing of raw_data.
        row_json = sa.func.json_build_object(*[x for name, c in fields.items() for x in (sa.literal(name), c)])
        stmt = (
            sa.select(sa.cast(sa.func.json_agg(aggregate_order_by(row_json, *order)), sa.Text))
            .select_from(Evidence)
            .join(Question, Question.id == Evidence.question_id)
            .where(Evidence.audit_id == audit_id)
        )
        rows = json.loads(s.execute(stmt).scalar_one() or "[]", parse_float=_jsonb_float)
    else:
        stmt = (
            sa.select(*fields.values()).join(Question, Question.id == Evidence.question_id)
            .where(Evidence.audit_id == audit_id).order_by(*order)
        )
        rows = [
            {name: str(v) if isinstance(v, StrEnum) else v for name, v in zip(fields, r, strict=True)}
            for r in s.execute(stmt)
        ]
    _add_proof(s, audit.organization_id, rows)
    return rows


def _add_proof(s: Session, organization_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    """The proof each row stood on when frozen: file name, its SHA-256 (computed from the file,
    so the signature covers the bytes), its evidence date and expiry. A file deleted from disk
    behind the app's back is recorded as missing (no SHA-256 vouched for), never a crash."""
    proofs = current_proofs(s, organization_id, [(r["question_key"], r["resource_id"] or "") for r in rows])
    for row in rows:
        proof = proofs.get((row["question_key"], row["resource_id"] or ""))
        row["screenshot"] = row["screenshot_sha256"] = row["proof_date"] = row["proof_expires_on"] = None
        row["proof_file_missing"] = False
        if proof is None:
            continue
        # Only the file's name: the private storage path is nobody's business.
        row["screenshot"] = PurePath(proof.file_name).name
        row["screenshot_sha256"] = _file_sha256(row["screenshot"])
        row["proof_file_missing"] = row["screenshot_sha256"] is None
        row["proof_date"] = proof.evidence_date.isoformat()
        row["proof_expires_on"] = expires_on(proof.evidence_date, proof.valid_days).isoformat()


def _file_sha256(name: str) -> str | None:
    """The proof file's SHA-256, so the signed snapshot covers the file itself; None when the
    file is not in storage (then nothing about it can be vouched for)."""
    path = evidence_dir() / name
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _risk_acceptances(s: Session, audit: Audit) -> list[dict[str, Any]]:
    """Acceptances that were in force when the audit finished: they explain RISK_ACCEPTED rows."""
    at = audit.finished_at or audit.created_at
    stmt = (
        sa.select(
            Question.key,
            RiskAcceptanceException.resource_id,
            RiskAcceptanceException.reason,
            User.name,
            RiskAcceptanceException.created_at,
            RiskAcceptanceException.expires_at,
        )
        .join(Question, Question.id == RiskAcceptanceException.question_id)
        .outerjoin(User, User.id == RiskAcceptanceException.approved_by_id)
        .where(
            RiskAcceptanceException.organization_id == audit.organization_id,
            RiskAcceptanceException.created_at <= at,
            RiskAcceptanceException.expires_at > at,
            sa.or_(
                col(RiskAcceptanceException.revoked_at).is_(None),
                col(RiskAcceptanceException.revoked_at) > at,
            ),
        )
        .order_by(Question.key, RiskAcceptanceException.resource_id)
    )
    # Approver by name only: the page is public, an e-mail address would be harvested.
    return [
        {
            "question_key": key,
            "resource_id": resource_id,
            "reason": reason,
            "approved_by": approver or None,
            "approved_at": _iso(created_at),
            "expires_at": _iso(expires_at),
        }
        for key, resource_id, reason, approver, created_at, expires_at in s.execute(stmt)
    ]


def build_snapshot_data(s: Session, audit: Audit, organization: Organization) -> dict[str, Any]:
    """The full public dump of one audit, with its per-check results (DESIGN.md §4).

    The score and check counts are computed by the one scoring function from the very
    evidence frozen here, so anyone can recompute them from the public JSON.
    """
    evidence = _evidence_rows(s, audit)
    result = score_audit(evidence_groups(evidence))
    titles = {e["question_key"]: e["title"] for e in evidence}
    return {
        "format": SNAPSHOT_FORMAT,
        "organization": {"name": organization.name, "slug": organization.slug},
        "audit": {
            "id": str(audit.id),
            "created_at": _iso(audit.created_at),
            "started_at": _iso(audit.started_at),
            "finished_at": _iso(audit.finished_at),
            "status": str(audit.status),
            "score": result.score,
            "scored": result.scored_text,
            "counts": result.resource_counts,
            "check_counts": result.check_counts,
        },
        "checks": snapshot_checks(result, titles),
        "evidence": evidence,
        "risk_acceptances": _risk_acceptances(s, audit),
        "generated_at": _iso(utcnow()),
    }


#: A snapshot's columns without its data (lists never load or re-hash the data).
_LIST_COLUMNS = (AuditSnapshot.id, AuditSnapshot.audit_id, AuditSnapshot.organization_id, AuditSnapshot.checksum,
                 AuditSnapshot.is_pinned, AuditSnapshot.created_at)


def _summary(row: Any, listing: SnapshotListing, created_by: str | None) -> SnapshotSummary:
    """`row`: the _LIST_COLUMNS of a snapshot; `listing`: its figures and last verification."""
    return SnapshotSummary(
        id=row.id or 0,
        audit_id=row.audit_id,
        organization_id=row.organization_id,
        checksum=row.checksum,
        is_pinned=row.is_pinned,
        created_at=row.created_at,
        created_by=created_by,
        audit_finished_at=listing.audit_finished_at,
        score=listing.score,
        evidence_count=listing.evidence_count,
        valid=listing.valid,
        score_basis=listing.score_basis,
        verified_at=listing.verified_at,
    )


def _insert(s: Session, actor: Actor, audit: Audit, organization: Organization, data: dict[str, Any]) -> AuditSnapshot:
    """Write the snapshot as the next signed link of its organization's chain.

    The chain head stays locked from reading the place until the commit. On PostgreSQL the
    canonical text that was hashed is sent as is: handing the ORM the dict would serialize
    megabytes a second time for nothing.
    """
    from compliance_app.services import signing, snapshot_signing  # they build on this module

    signer = signing.active_signer(s)
    link = snapshot_signing.next_link(s, audit.organization_id)
    data["chain"] = {"sequence": link.sequence, "previous_checksum": link.previous_checksum}
    canonical = canonical_bytes(data)
    snapshot = AuditSnapshot(
        id=snapshot_signing.reserve_snapshot_id(s),
        audit_id=audit.id,
        organization_id=audit.organization_id,
        data=data,
        checksum=hashlib.sha256(canonical).hexdigest(),
        created_by_id=actor.user_id,
        sequence=link.sequence,
        previous_checksum=link.previous_checksum,
    )

    def seal() -> None:
        snapshot.envelope = signer.envelope(snapshot_signing.payload_bytes(
            checksum=snapshot.checksum, previous_checksum=link.previous_checksum, sequence=link.sequence,
            snapshot_id=snapshot.id or 0, organization_id=organization.id, organization_slug=organization.slug,
            created_at=snapshot.created_at,
        ))

    if s.get_bind().dialect.name != "postgresql":
        s.add(snapshot)
        s.flush()  # the id comes from the insert here (no trigger to refuse the envelope after it)
        seal()
    else:
        seal()
        s.execute(
            sa.insert(AuditSnapshot)
            .values(
                id=snapshot.id,
                audit_id=snapshot.audit_id,
                organization_id=snapshot.organization_id,
                data=sa.cast(sa.literal(canonical.decode("utf-8"), sa.Text), JSONB),
                checksum=snapshot.checksum,
                created_by_id=snapshot.created_by_id,
                created_at=snapshot.created_at,
                is_pinned=False,
                sequence=snapshot.sequence,
                previous_checksum=snapshot.previous_checksum,
                envelope=snapshot.envelope,
            )
        )
    snapshot_signing.advance_head(s, audit.organization_id, link.sequence, snapshot.checksum)
    return snapshot


def create_snapshot(actor: Actor, audit_id: uuid.UUID | str) -> SnapshotSummary:
    """Freeze a COMPLETED audit (member or admin)."""
    audit_uuid = parse_uuid(audit_id, "audit_id", "an audit")
    with session_scope() as s:
        audit, access = authorize_row(
            s, actor, Audit, audit_uuid, Permission.CREATE_SNAPSHOT, f"Audit {audit_uuid} not found."
        )
        if audit.status != AuditStatus.COMPLETED:
            raise ValidationError(
                f"Audit {audit_uuid} is {audit.status}: only a completed audit can be snapshotted."
            )
        data = build_snapshot_data(s, audit, access.organization)
        snapshot = _insert(s, actor, audit, access.organization, data)
        activity.record(
            s, actor, "snapshot.create", organization_id=audit.organization_id,
            target=f"snapshot:{snapshot.id}", meta={"audit_id": str(audit.id), "checksum": snapshot.checksum},
        )
        snapshot_listing.record_new(s, snapshot.id or 0, data)
        s.flush()
        return _summary(snapshot, snapshot_listing.listings(s, [snapshot.id or 0])[snapshot.id or 0],
                        actor.label or None)


def latest_completed_audit(actor: Actor, org: uuid.UUID | str) -> dict[str, Any] | None:
    """The newest COMPLETED audit (id, finished_at, score), the one the page offers to freeze."""
    with session_scope() as s:
        access = authorize_org(s, actor, org, Permission.READ)
        audit = s.exec(
            select(Audit)
            .where(Audit.organization_id == access.organization.id, Audit.status == AuditStatus.COMPLETED)
            .order_by(col(Audit.created_at).desc())
            .limit(1)
        ).first()
        if audit is None:
            return None
        return {"id": audit.id, "finished_at": audit.finished_at or audit.created_at, "score": audit.score}


def get_snapshot(actor: Actor, snapshot_id: int) -> AuditSnapshot:
    """The full snapshot (with data) for members of its organization."""
    with session_scope() as s:
        return _load_authorized(s, actor, snapshot_id, Permission.READ)


def list_snapshots(actor: Actor, org: uuid.UUID | str, page: int = 1) -> SnapshotPage:
    """Newest first, PAGE_SIZE per page, from columns: each row carries its last verification's
    verdict and time (None: not verified since; verify_snapshot verifies one on demand)."""
    with session_scope() as s:
        access = authorize_org(s, actor, org, Permission.READ)
        return snapshots_in(s, access.organization.id, page)


def snapshots_in(s: Session, org_id: uuid.UUID, page: int = 1) -> SnapshotPage:
    """list_snapshots in the caller's transaction (the caller has authorized)."""
    page = min(max(1, page), MAX_PAGE)
    total = s.exec(
        select(func.count()).select_from(AuditSnapshot).where(AuditSnapshot.organization_id == org_id)
    ).one()
    rows = s.exec(
        select(*_LIST_COLUMNS, User.email)
        .outerjoin(User, User.id == AuditSnapshot.created_by_id)
        .where(AuditSnapshot.organization_id == org_id)
        .order_by(col(AuditSnapshot.created_at).desc(), col(AuditSnapshot.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    found = snapshot_listing.listings(s, [row.id for row in rows])
    items = [_summary(row, found[row.id], row.email) for row in rows]
    return SnapshotPage(items=items, page=page, total=total)


def verify_snapshot(actor: Actor, snapshot_id: int) -> VerifyResult:
    """Recompute the checksum from the stored data, check the signature and that the signed
    payload names this row (checksum, place, time), and walk the organization's chain."""
    from compliance_app.services import snapshot_signing  # it builds on this module

    with session_scope() as s:
        snapshot = _load_authorized(s, actor, snapshot_id, Permission.READ)
        recomputed = compute_checksum(snapshot.data)
        check = snapshot_signing.verify(s, snapshot)
        snapshot_listing.record_verification(s, snapshot.id or 0, check.valid and recomputed == snapshot.checksum)
        return VerifyResult(snapshot.id or 0, check.valid, snapshot.checksum, recomputed, check.signature,
                            check.keyid, check.sequence, tuple(check.problems))


def set_pinned(actor: Actor, snapshot_id: int, pinned: bool) -> SnapshotSummary:
    """Pin (keep forever) or unpin (retention applies again); admins only."""
    with session_scope() as s:
        snapshot = _load_authorized(s, actor, snapshot_id, Permission.MANAGE_SNAPSHOTS, with_data=False)
        if snapshot.is_pinned != pinned:
            # A targeted UPDATE of the one mutable column, never a rewrite of the row.
            s.execute(
                sa.update(AuditSnapshot).where(AuditSnapshot.id == snapshot.id).values(is_pinned=pinned)
            )
            activity.record(
                s, actor, "snapshot.pin" if pinned else "snapshot.unpin",
                organization_id=snapshot.organization_id, target=f"snapshot:{snapshot.id}",
            )
        row = s.exec(select(*_LIST_COLUMNS).where(AuditSnapshot.id == snapshot.id)).one()
        return _summary(row, snapshot_listing.listings(s, [row.id])[row.id], None)


def apply_retention(now: datetime | None = None) -> int:
    """Delete unpinned snapshots older than their organization's retention; returns how many.

    A system job (worker, operator): no actor. Public links go with their snapshot through
    the foreign key's ON DELETE CASCADE. A signed snapshot leaves a tombstone (checksum,
    predecessor, envelope) so the chain still verifies past it.
    """
    from compliance_app.services import snapshot_signing  # it builds on this module

    now = now or utcnow()
    deleted = 0
    with session_scope() as s:
        orgs = s.exec(select(Organization.id, Organization.snapshot_retention_days)).all()
        for org_id, days in orgs:
            gone = s.execute(
                sa.delete(AuditSnapshot).where(
                    AuditSnapshot.organization_id == org_id,
                    AuditSnapshot.is_pinned == sa.false(),
                    AuditSnapshot.created_at < now - timedelta(days=days),
                ).returning(AuditSnapshot.id, AuditSnapshot.organization_id, AuditSnapshot.sequence,
                            AuditSnapshot.checksum, AuditSnapshot.previous_checksum, AuditSnapshot.envelope,
                            AuditSnapshot.created_at)
            ).all()
            for row in gone:
                snapshot_signing.tombstone(s, AuditSnapshot(**row._asdict(), data={}), now)
            if gone:
                deleted += len(gone)
                activity.record(
                    s, Actor.system("retention"), "snapshot.retention", organization_id=org_id,
                    meta={"deleted": len(gone), "retention_days": days},
                )
    return deleted
