"""Proof files (screenshots, PDFs) uploaded from an evidence row, kept private.

An upload becomes the organization's current proof for the evidence's check and resource
(models/proof.py, services/proof.py), so later audits show it without a new upload.

Files are checked by their CONTENT (magic bytes through `filetype`), never by the name
or the browser's content type, and stored under settings.data_dir/evidence/ with a
random name — outside Reflex's public upload folder and the static assets, so the only
way to read one is the authorized route in api/evidence_files.py.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import filetype
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from compliance_app.db import session_scope
from compliance_app.models import Audit, Evidence, Proof, Question
from compliance_app.models.types import utcnow
from compliance_app.services import activity
from compliance_app.services.authz import Actor, Permission
from compliance_app.services.dashboard import access_evidence
from compliance_app.services.errors import Conflict, FileMissing, NotFound, ValidationError
from compliance_app.services.proof import (
    ALLOWED_TYPES,
    PROOF_MISSING,
    current_proof,
    evidence_dir,
    parse_evidence_date,
    replace_current,
    stored_path,
    valid_days_for,
    write_atomically,
)
from compliance_app.settings import get_settings


@dataclass(frozen=True)
class StoredFile:
    evidence_id: int
    name: str
    content_type: str
    size: int
    proof_id: int
    evidence_date: date


@dataclass(frozen=True)
class EvidenceFile:
    path: Path
    content_type: str


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def validate_file(data: bytes) -> str:
    """The content type of an acceptable proof file, or a ValidationError saying what is wrong."""
    limit = get_settings().upload_max_bytes
    if not data:
        raise ValidationError("The file is empty. Choose a PNG, JPEG or PDF file.", field="file")
    if len(data) > limit:
        raise ValidationError(
            f"The file is too large ({human_size(len(data))}); the limit is {human_size(limit)}.", field="file"
        )
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        found = f" (it looks like {kind.mime})" if kind is not None else ""
        raise ValidationError(
            f"Only PNG, JPEG or PDF files are accepted, checked by their content{found}.", field="file"
        )
    return kind.mime


def check_upload_allowed(actor: Actor, evidence_id: int | str) -> None:
    """Raise (NotFound for missing or not visible) unless the actor may attach a file here.

    The upload route asks this before it reads a byte of the body, so an anonymous caller
    or another tenant cannot make the server receive and parse a large upload.
    """
    with session_scope() as s:
        access_evidence(s, actor, evidence_id, Permission.UPLOAD_EVIDENCE)


def save_evidence_file(
    actor: Actor, evidence_id: int | str, data: bytes, filename: str = "", evidence_date: date | str | None = None
) -> StoredFile:
    """Validate, store under a random name, and make it the organization's current proof for the
    evidence's check and resource (later audits show it too); the proof it replaces is kept.

    Every check (file, date, access) happens before a byte is written; the file is written
    whole or not at all (StorageFull when the disk is full), and the record pointing at it is
    committed after the file is in place, so no record ever names a missing file.
    """
    content_type = validate_file(data)
    today = utcnow().date()
    proven_on = parse_evidence_date(evidence_date, today)
    name = f"{secrets.token_hex(16)}.{ALLOWED_TYPES[content_type]}"
    path: Path | None = None
    try:
        with session_scope() as s:
            evidence, audit = access_evidence(s, actor, evidence_id, Permission.UPLOAD_EVIDENCE)
            key = s.get(Question, evidence.question_id).key
            path = write_atomically(evidence_dir(), name, data)
            record = Proof(
                organization_id=audit.organization_id, question_key=key, resource_id=evidence.resource_id,
                file_name=name, content_type=content_type, size=len(data),
                sha256=hashlib.sha256(data).hexdigest(), evidence_date=proven_on, valid_days=valid_days_for(key),
                uploaded_by_id=actor.user_id,
            )
            try:
                replace_current(s, audit.organization_id, key, evidence.resource_id, record)
            except IntegrityError:  # another upload for this check and resource won the race
                raise Conflict("Another proof for this check and resource was uploaded at the same moment; "
                               "reload to see it, then upload again if yours is newer.", field="file") from None
            activity.record(
                s, actor, "evidence.file_uploaded", organization_id=audit.organization_id, target=str(evidence.id),
                meta={"content_type": content_type, "size": len(data), "filename": filename[:200],
                      "evidence_date": proven_on.isoformat(), "proof_id": record.id},
            )
            proof_id = int(record.id or 0)
    except BaseException:
        # Nothing stored unless the database points at it (the commit is the last step).
        if path is not None:
            path.unlink(missing_ok=True)
        raise
    return StoredFile(int(evidence.id or 0), name, content_type, len(data), proof_id, proven_on)


def proof_for_evidence(s: Session, evidence: Evidence, audit: Audit) -> Proof | None:
    """The organization's current proof for this evidence's check and resource (any audit's)."""
    key = s.get(Question, evidence.question_id).key
    return current_proof(s, audit.organization_id, key, evidence.resource_id)


def open_evidence_file(actor: Actor, evidence_id: int | str) -> EvidenceFile:
    """The current proof file for an evidence the actor may read; NotFound when there is none
    (or the caller may not see it), FileMissing when the record names a file no longer on disk."""
    with session_scope() as s:
        evidence, audit = access_evidence(s, actor, evidence_id, Permission.READ)
        proof = proof_for_evidence(s, evidence, audit)
        if proof is None:
            raise NotFound("This evidence has no file.")
        path = stored_path(proof.file_name)
        content_type = proof.content_type
    if not path.is_file():
        raise FileMissing(PROOF_MISSING)
    return EvidenceFile(path, content_type)
