"""The data migration 078fd6afdc58 moves proof files from evidence rows into the `proof` table:
the newest upload per organization, check and resource is current, older
ones are marked replaced when the next came, upload times come from the activity log, size
and SHA-256 from the file; a file already gone is kept by name (the app says it is missing).
Downgrading writes proof uploaded since back onto an evidence row, so nothing is lost."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlmodel import select

from compliance_app.db import reset_engine, session_scope
from compliance_app.models import ActivityLog, Audit, AuditStatus, Evidence, Proof, Question
from compliance_app.models.types import utcnow
from tests.conftest import PROJECT_ROOT
from tests.dashboard.conftest import png_bytes
from tests.factories import make_org
from tests.support.scratch_db import empty_database

REVISION, BEFORE = "078fd6afdc58", "2458aa194bcb"


@pytest.fixture
def migrated(monkeypatch: pytest.MonkeyPatch, pg_url: str, data_dir: Path) -> Iterator[Config]:
    with empty_database("ca_proof") as url:
        monkeypatch.setenv("DATABASE_URL", url)
        reset_engine()
        cfg = Config(str(PROJECT_ROOT / "alembic.ini"), attributes={"configure_logger": False})
        command.upgrade(cfg, "head")
        try:
            yield cfg
        finally:
            monkeypatch.setenv("DATABASE_URL", pg_url)
            reset_engine()


def _evidence(audit_id, question_id: int, resource: str, screenshot: str | None, content_type: str) -> int:
    with session_scope() as s:
        e = Evidence(audit_id=audit_id, question_id=question_id, status="FAIL", resource_id=resource,
                     screenshot=screenshot, screenshot_content_type=content_type if screenshot else None)
        s.add(e)
        s.flush()
        return int(e.id)


def _proofs() -> list[tuple]:
    """Only the columns this migration knows (later migrations may add others)."""
    with session_scope() as s:
        return list(s.exec(select(Proof.resource_id, Proof.file_name, Proof.content_type, Proof.size, Proof.sha256,
                                  Proof.evidence_date, Proof.uploaded_at, Proof.replaced_at, Proof.valid_days)
                           .order_by(Proof.id)).all())


def test_evidence_files_become_proof_records(migrated: Config, data_dir: Path) -> None:
    org = make_org()
    now = utcnow()
    first_upload, second_upload = now - timedelta(days=40), now - timedelta(days=3)
    (data_dir / "evidence").mkdir(parents=True)
    old_png, new_png = png_bytes((10, 10)), png_bytes((20, 20))
    (data_dir / "evidence" / "aa11.png").write_bytes(old_png)
    (data_dir / "evidence" / "bb22.png").write_bytes(new_png)
    with session_scope() as s:
        q = Question(key="t_logging", title="Logging", provider="aws", severity="high", frameworks={})
        s.add(q)
        older = Audit(organization_id=org.id, status=AuditStatus.COMPLETED, created_at=now - timedelta(days=50))
        newer = Audit(organization_id=org.id, status=AuditStatus.COMPLETED, created_at=now - timedelta(days=5))
        s.add_all([older, newer])
        s.flush()
        qid, older_id, newer_id = q.id, older.id, newer.id
    e1 = _evidence(older_id, qid, "trail", "aa11.png", "image/png")
    e2 = _evidence(newer_id, qid, "trail", "bb22.png", "image/png")
    _evidence(newer_id, qid, "gone", "cc33.pdf", "application/pdf")  # its file was deleted long ago
    later = _evidence(newer_id, qid, "later", None, "")
    with session_scope() as s:
        s.add_all([ActivityLog(organization_id=org.id, action="evidence.file_uploaded", target=str(e1),
                               created_at=first_upload),
                   ActivityLog(organization_id=org.id, action="evidence.file_uploaded", target=str(e2),
                               created_at=second_upload)])
    command.downgrade(migrated, BEFORE)
    command.upgrade(migrated, REVISION)

    (gone, old, new) = sorted(_proofs(), key=lambda p: (p[0], p[6]))
    assert old == ("trail", "aa11.png", "image/png", len(old_png), hashlib.sha256(old_png).hexdigest(),
                   first_upload.date(), first_upload, second_upload, 365)  # replaced when the next came
    assert new == ("trail", "bb22.png", "image/png", len(new_png), hashlib.sha256(new_png).hexdigest(),
                   second_upload.date(), second_upload, None, 365)
    assert gone[:5] == ("gone", "cc33.pdf", "application/pdf", 0, "") and gone[7] is None
    with session_scope() as s:  # the evidence rows keep what they had (frozen history)
        assert s.get(Evidence, e1).screenshot == "aa11.png"

    # Proof uploaded after the upgrade survives a downgrade on an evidence row of its check and resource.
    with session_scope() as s:
        s.add(Proof(organization_id=org.id, question_key="t_logging", resource_id="later", file_name="dd44.png",
                    content_type="image/png", size=1, sha256="0" * 64, evidence_date=now.date()))
    command.downgrade(migrated, BEFORE)
    with session_scope() as s:
        assert (s.get(Evidence, later).screenshot, s.get(Evidence, later).screenshot_content_type) == (
            "dd44.png", "image/png")
        assert s.get(Evidence, e2).screenshot == "bb22.png"
    command.upgrade(migrated, "head")
