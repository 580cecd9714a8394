"""Proof files (screenshots, PDFs) attached to an evidence row, kept private.

Files are checked by their CONTENT (magic bytes through `filetype`), never by the name
or the browser's content type, and stored under settings.data_dir/evidence/ with a
random name — outside Reflex's public upload folder and the static assets, so the only
way to read one is the authorized route in api/evidence_files.py.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import filetype

from compliance_app.db import session_scope
from compliance_app.services import activity
from compliance_app.services.authz import Actor, Permission
from compliance_app.services.dashboard import access_evidence
from compliance_app.services.errors import NotFound, ValidationError
from compliance_app.settings import get_settings

#: Accepted content types and the extension the stored file gets.
ALLOWED_TYPES: dict[str, str] = {"image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf"}


@dataclass(frozen=True)
class StoredFile:
    evidence_id: int
    name: str
    content_type: str
    size: int


@dataclass(frozen=True)
class EvidenceFile:
    path: Path
    content_type: str


def evidence_dir() -> Path:
    return get_settings().data_dir / "evidence"


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


def _safe_path(name: str) -> Path:
    """Stored names are ours (hex + extension); refuse anything else read back from the database."""
    stem, _, ext = name.partition(".")
    if not stem or not all(c in "0123456789abcdef" for c in stem) or ext not in ALLOWED_TYPES.values():
        raise NotFound("File not found.")
    return evidence_dir() / name


def check_upload_allowed(actor: Actor, evidence_id: int | str) -> None:
    """Raise (NotFound for missing or not visible) unless the actor may attach a file here.

    The upload route asks this before it reads a byte of the body, so an anonymous caller
    or another tenant cannot make the server receive and parse a large upload.
    """
    with session_scope() as s:
        access_evidence(s, actor, evidence_id, Permission.UPLOAD_EVIDENCE)


def save_evidence_file(actor: Actor, evidence_id: int | str, data: bytes, filename: str = "") -> StoredFile:
    """Validate, store under a random name, point the evidence at it; replaces an earlier file."""
    content_type = validate_file(data)
    name = f"{secrets.token_hex(16)}.{ALLOWED_TYPES[content_type]}"
    folder = evidence_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    tmp = folder / f".{name}.part"
    try:
        with session_scope() as s:
            evidence, audit = access_evidence(s, actor, evidence_id, Permission.UPLOAD_EVIDENCE)
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            previous = evidence.screenshot
            evidence.screenshot = name
            evidence.screenshot_content_type = content_type
            activity.record(
                s, actor, "evidence.file_uploaded", organization_id=audit.organization_id, target=str(evidence.id),
                meta={"content_type": content_type, "size": len(data), "filename": filename[:200]},
            )
    except BaseException:
        # Nothing stored unless the database points at it (the commit is the last step).
        tmp.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        raise
    if previous and previous != name:
        with contextlib.suppress(NotFound):
            _safe_path(previous).unlink(missing_ok=True)
    return StoredFile(int(evidence.id), name, content_type, len(data))


def open_evidence_file(actor: Actor, evidence_id: int | str) -> EvidenceFile:
    """The proof file of an evidence the actor may read; NotFound otherwise (or when absent)."""
    with session_scope() as s:
        evidence, _ = access_evidence(s, actor, evidence_id, Permission.READ)
        if not evidence.screenshot:
            raise NotFound("This evidence has no file.")
        path = _safe_path(evidence.screenshot)
        content_type = evidence.screenshot_content_type or "application/octet-stream"
    if not path.is_file():
        raise NotFound("File not found.")
    return EvidenceFile(path, content_type)
