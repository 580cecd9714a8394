"""Proof freshness: the organization's current proof per check and resource, and when it expires.

Uploaded proof (models/proof.py) belongs to the organization, not to one audit: every audit's
evidence for a check and resource shows the current proof for it. Proof is true as of its
evidence date (set by the person uploading) and stays valid for the check's
`proof_valid_days` (365 unless the check says otherwise):

    expires_on = evidence_date + valid_days
    stale      = expires_on <= today
    expiring   = today < expires_on <= today + DUE_DAYS

The dashboard, the reminder job and the weekly digest all ask `freshness` and `proof_due`,
so they never disagree on what "expiring" means. Files are written by `write_atomically`:
a temporary file in the same directory, fsync, rename, so a full disk leaves either the
whole file or nothing, never a half-written one under a name the database knows.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from compliance_app.checks.registry import get_check
from compliance_app.models import Proof, Question, User
from compliance_app.models.types import utcnow
from compliance_app.services.errors import NotFound, StorageFull, ValidationError
from compliance_app.settings import get_settings

#: Proof whose validity ends within this many days is "expiring" (dashboard, notifications).
DUE_DAYS = 30
DEFAULT_VALID_DAYS = 365
#: Nothing this product could prove predates it; an earlier date is a typing mistake.
EARLIEST_EVIDENCE_DATE = date(2000, 1, 1)
#: Accepted content types and the extension the stored file gets.
ALLOWED_TYPES: dict[str, str] = {"image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf"}
PROOF_MISSING = "The proof file is missing on the server; upload it again (the operator may restore it from a backup)."
DISK_FULL = "The server's disk is full; nothing was saved. Ask the operator to free space, then upload again."
#: Write errors that mean "no room" (disk, quota, or the process's file-size limit).
_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def evidence_dir() -> Path:
    return get_settings().data_dir / "evidence"


def stored_path(name: str) -> Path:
    """Stored names are ours (hex + extension); refuse anything else read back from the database."""
    stem, _, ext = name.partition(".")
    if not stem or not all(c in "0123456789abcdef" for c in stem) or ext not in ALLOWED_TYPES.values():
        raise NotFound("File not found.")
    return evidence_dir() / name


def file_present(name: str) -> bool:
    """Whether a stored proof file is still on disk (an operator may have deleted it)."""
    try:
        return stored_path(name).is_file()
    except NotFound:
        return False


class Freshness:
    CURRENT = "current"
    EXPIRING = "expiring"
    STALE = "stale"


def valid_days_for(question_key: str) -> int:
    """The check's validity period for proof; the default for keys no longer in the catalog."""
    try:
        return get_check(question_key).meta.proof_valid_days
    except KeyError:
        return DEFAULT_VALID_DAYS


def expires_on(evidence_date: date, valid_days: int) -> date:
    return evidence_date + timedelta(days=valid_days)


def freshness(expiry: date, today: date) -> str:
    """CURRENT, EXPIRING (within DUE_DAYS) or STALE (expired on or before today)."""
    if expiry <= today:
        return Freshness.STALE
    if expiry <= today + timedelta(days=DUE_DAYS):
        return Freshness.EXPIRING
    return Freshness.CURRENT


def parse_evidence_date(value: date | str | None, today: date) -> date:
    """The date the proof was true; today when not given. Refuses what cannot be right."""
    if value is None or value == "":
        return today
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError("Enter the evidence date as a date (YYYY-MM-DD).", field="evidence_date") from None
    if value > today:
        raise ValidationError("The evidence date cannot be in the future: enter the day the proof was taken.",
                              field="evidence_date")
    if value < EARLIEST_EVIDENCE_DATE:
        raise ValidationError("The evidence date must be in 2000 or later.", field="evidence_date")
    return value


def write_atomically(folder: Path, name: str, data: bytes) -> Path:
    """Write `data` to folder/name whole or not at all; StorageFull when there is no room.

    The bytes go to a hidden temporary file in the same directory (same filesystem, so the
    rename is atomic), are fsynced, then renamed; on any failure the temporary file is removed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    tmp = folder / f".{name}.part"
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if exc.errno in _NO_ROOM:
            raise StorageFull(DISK_FULL, field="file") from None
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return path


def current_proofs(
    s: Session, organization_id: uuid.UUID, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Proof]:
    """The current proof of each (question key, resource id) asked for that has one."""
    wanted = set(keys)
    if not wanted:
        return {}
    rows = s.exec(
        select(Proof).where(
            Proof.organization_id == organization_id,
            Proof.replaced_at.is_(None),
            Proof.question_key.in_({k for k, _ in wanted}),
        )
    ).all()
    return {(p.question_key, p.resource_id): p for p in rows if (p.question_key, p.resource_id) in wanted}


def current_proof(s: Session, organization_id: uuid.UUID, question_key: str, resource_id: str) -> Proof | None:
    return current_proofs(s, organization_id, [(question_key, resource_id)]).get((question_key, resource_id))


def replace_current(s: Session, organization_id: uuid.UUID, question_key: str, resource_id: str,
                    new: Proof) -> Proof | None:
    """Make `new` the current proof, marking the one it replaces; returns the replaced one.

    The row of the replaced proof and its file stay: snapshots frozen earlier name them.
    The partial unique index uq_proof_current refuses two current rows if uploads race.
    """
    previous = current_proof(s, organization_id, question_key, resource_id)
    if previous is not None:
        previous.replaced_at = utcnow()
        s.add(previous)
        s.flush()
    s.add(new)
    s.flush()
    return previous


@dataclass(frozen=True)
class ProofDue:
    """A current proof that expires within DUE_DAYS or is stale, as the dashboard lists it."""

    id: int
    question_key: str
    title: str
    resource_id: str
    evidence_date: date
    expires_on: date
    state: str


#: Built once, bound at execution: every dashboard load runs it.
_CURRENT_PROOFS_WITH_TITLES = (
    select(Proof, Question.title)
    .join(Question, Question.key == Proof.question_key, isouter=True)
    .where(Proof.organization_id == sa.bindparam("org_id"), Proof.replaced_at.is_(None))
    .order_by(Proof.id)
)


def proof_due(s: Session, organization_id: uuid.UUID, today: date) -> list[ProofDue]:
    """Current proof of the organization that is stale or expiring, the soonest expiry first.

    Validity periods differ per proof, so the expiry is computed in Python; an organization
    holds at most one current proof per check and resource, which keeps the list small.
    """
    rows = s.exec(_CURRENT_PROOFS_WITH_TITLES, params={"org_id": organization_id}).all()
    due = []
    for proof, title in rows:
        expiry = expires_on(proof.evidence_date, proof.valid_days)
        state = freshness(expiry, today)
        if state != Freshness.CURRENT:
            due.append(ProofDue(int(proof.id or 0), proof.question_key, title or proof.question_key,
                                proof.resource_id, proof.evidence_date, expiry, state))
    return sorted(due, key=lambda d: (d.expires_on, d.question_key, d.resource_id))


def organizations_with_proof_due(s: Session, today: date) -> list[uuid.UUID]:
    """Organizations holding current proof that could be due (the reminder job's first cut).

    The longest validity period bounds which evidence dates can be due; proof_due decides.
    """
    longest = s.exec(select(sa.func.max(Proof.valid_days)).where(Proof.replaced_at.is_(None))).one()
    if longest is None:
        return []
    horizon = today + timedelta(days=DUE_DAYS) - timedelta(days=int(longest))
    return list(s.exec(
        select(Proof.organization_id).where(Proof.replaced_at.is_(None), Proof.evidence_date <= horizon).distinct()
    ).all())


@dataclass(frozen=True)
class ProofInfo:
    """A proof as the evidence drawer shows it: what, as of when, until when, and whether the
    file is still on disk."""

    content_type: str
    size: int
    evidence_date: date
    expires_on: date
    state: str
    uploaded_at: datetime
    uploaded_by: str | None
    file_missing: bool


def proof_info(s: Session, proof: Proof, today: date) -> ProofInfo:
    uploader = s.get(User, proof.uploaded_by_id) if proof.uploaded_by_id else None
    expiry = expires_on(proof.evidence_date, proof.valid_days)
    return ProofInfo(proof.content_type, proof.size, proof.evidence_date, expiry,
                     freshness(expiry, today), proof.uploaded_at,
                     (uploader.name or uploader.email) if uploader else None, not file_present(proof.file_name))


def frozen_proof_text(row: dict[str, Any]) -> str:
    """How a snapshot's evidence row names its proof (share page, PDF): '' without proof.

    Rows frozen before proof had dates carry only the file; rows whose file was gone when
    frozen say so rather than vouch for it.
    """
    if not row.get("screenshot"):
        return ""
    if not row.get("proof_date"):
        return "Proof file attached (date not recorded)"
    text = f"Proof dated {row['proof_date']}, valid until {row.get('proof_expires_on') or 'unknown'}"
    return text + (" — the file was missing on the server when this snapshot was taken"
                   if row.get("proof_file_missing") else "")
