"""The snapshots page's chain labels read the signing key from the envelope on the embedded SQLite
database too (`make run`'s default), not only on PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from compliance_app.models import AuditSnapshot
from compliance_app.models.snapshot import SnapshotTombstone
from compliance_app.services.snapshot_signing import labels_in


def test_labels_read_the_key_id_on_sqlite(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'labels.db'}")
    SQLModel.metadata.create_all(engine, tables=[AuditSnapshot.__table__, SnapshotTombstone.__table__])
    org = uuid.uuid4()
    with Session(engine) as s:
        for sequence, envelope in ((1, {"signatures": [{"keyid": "key-one", "sig": "x"}]}), (2, None)):
            s.add(AuditSnapshot(audit_id=uuid.uuid4(), organization_id=org, data={}, checksum=f"{sequence:064d}",
                                sequence=sequence, previous_checksum=None, envelope=envelope))
        s.commit()
        ids = [i for (i,) in s.execute(sa.select(AuditSnapshot.id).order_by(AuditSnapshot.sequence))]
        labels = labels_in(s, org, ids)
    first, second = labels[ids[0]], labels[ids[1]]
    assert (first.signed, first.keyid, first.previous_snapshot_id) == (True, "key-one", None)
    assert (second.signed, second.keyid, second.previous_snapshot_id) == (False, None, ids[0])
