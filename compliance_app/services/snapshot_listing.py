"""What the snapshots list shows, kept beside the snapshots so a list page reads columns only.

Listing used to load every listed snapshot's full data and re-hash it on each load, pin,
revoke and page change: megabytes per row at scale. Snapshots are immutable, so their
headline figures are computed once (when the snapshot is written, or the first time an
older snapshot is listed, its checksum verified then too) into `snapshot_listing`, and a
full verification (on demand, services/snapshots.verify_snapshot: checksum, signature,
chain) records its time and verdict there. No access checks
here: callers (services/snapshots.py) authorize first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from compliance_app.models import AuditSnapshot
from compliance_app.models.snapshot import SnapshotListing
from compliance_app.models.types import utcnow
from compliance_app.services.snapshot_figures import score_basis


def figures_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """The list's columns of one snapshot's data."""
    audit = data.get("audit") or {}
    return {"score": audit.get("score"), "evidence_count": len(data.get("evidence") or []),
            "audit_finished_at": audit.get("finished_at"), "score_basis": score_basis(data)}


def record_new(s: Session, snapshot_id: int, data: Mapping[str, Any]) -> None:
    """A snapshot just written: its checksum and signature were computed from `data` now."""
    s.add(SnapshotListing(snapshot_id=snapshot_id, verified_at=utcnow(), valid=True, **figures_of(data)))


def listings(s: Session, snapshot_ids: Iterable[int]) -> dict[int, SnapshotListing]:
    """{snapshot id: its listing}; snapshots listed for the first time get theirs (one read of their data)."""
    ids = list(snapshot_ids)
    found = {row.snapshot_id: row for row in s.exec(select(SnapshotListing).where(col(SnapshotListing.snapshot_id)
                                                                                   .in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        from compliance_app.services.snapshots import compute_checksum  # it builds on this module

        rows = s.exec(select(AuditSnapshot.id, AuditSnapshot.data, AuditSnapshot.checksum)
                      .where(col(AuditSnapshot.id).in_(missing))).all()
        # The data is read once anyway: its checksum is verified with it (signature and chain on demand).
        values = [{"snapshot_id": snapshot_id, **figures_of(data or {}), "verified_at": utcnow(),
                   "valid": compute_checksum(data) == checksum} for snapshot_id, data, checksum in rows]
        if values:  # two lists at once may both fill a row: the first one wins, both are the same
            s.execute(insert(SnapshotListing).values(values).on_conflict_do_nothing())
            found.update({row.snapshot_id: row for row in s.exec(
                select(SnapshotListing).where(col(SnapshotListing.snapshot_id).in_(missing)))})
    return found


def record_verification(s: Session, snapshot_id: int, valid: bool) -> None:
    """The time and verdict of a verification, replacing the previous one."""
    listings(s, [snapshot_id])
    row = s.get(SnapshotListing, snapshot_id)
    if row is not None:
        row.verified_at = utcnow()
        row.valid = valid
        s.add(row)
