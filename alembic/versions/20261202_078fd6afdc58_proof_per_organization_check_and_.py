"""proof per organization, check and resource, with the proof files moved in

Uploaded proof hung on one audit's evidence row (evidence.screenshot); it becomes an
organization-level record per check and resource that later audits show. This revision
creates the `proof` table and copies every evidence row's file into it:
- evidence_date and uploaded_at = when the file was uploaded (the activity log's
  evidence.file_uploaded entry; the evidence row's time if the log has none);
- size and SHA-256 read from DATA_DIR/evidence (0 and "" when the file is already gone:
  the record keeps the name, and the app says the file is missing);
- per (organization, check, resource) the newest upload is current; older ones are
  marked replaced at the time the next one came.
valid_days is 365, the catalog's default (no check set another period before this
revision). evidence.screenshot and screenshot_content_type are left as they were (frozen
history; snapshots already frozen keep their data and checksum untouched) and no longer read.
Downgrade writes each current proof back onto the newest evidence row of its check and
resource that has no file, then drops the table.

Revision ID: 078fd6afdc58
Revises: 2458aa194bcb
Create Date: 2026-12-02 00:55:43
"""

import hashlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
import sqlmodel
from alembic import op

from compliance_app.settings import get_settings

revision: str = '078fd6afdc58'
down_revision: str | None = '2458aa194bcb'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VALID_DAYS = 365

_EVIDENCE_FILES = sa.text("""
    SELECT a.organization_id, q.key, e.resource_id, e.screenshot, e.screenshot_content_type,
           COALESCE((SELECT max(l.created_at) FROM activity_log l
                     WHERE l.action = 'evidence.file_uploaded' AND l.target = CAST(e.id AS VARCHAR)),
                    e.created_at) AS uploaded_at
    FROM evidence e JOIN audit a ON a.id = e.audit_id JOIN question q ON q.id = e.question_id
    WHERE e.screenshot IS NOT NULL AND e.screenshot <> ''
    ORDER BY a.organization_id, q.key, e.resource_id, uploaded_at, e.id
""")


def _file_facts(name: str) -> tuple[int, str]:
    path = Path(get_settings().data_dir) / "evidence" / Path(name).name
    if not path.is_file():
        return 0, ""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return path.stat().st_size, digest.hexdigest()


def _copy_evidence_files(bind: sa.engine.Connection, proof: sa.Table) -> None:
    rows = bind.execute(_EVIDENCE_FILES).all()
    for i, (org_id, key, resource_id, name, content_type, uploaded_at) in enumerate(rows):
        if isinstance(uploaded_at, str):  # SQLite hands back text
            uploaded_at = datetime.fromisoformat(uploaded_at)
        following = rows[i + 1] if i + 1 < len(rows) else None
        same = following is not None and following[:3] == (org_id, key, resource_id)
        size, sha256 = _file_facts(name)
        bind.execute(proof.insert().values(
            organization_id=org_id, question_key=key, resource_id=resource_id or "", file_name=Path(name).name,
            content_type=content_type or "application/octet-stream", size=size, sha256=sha256,
            evidence_date=uploaded_at.date(), valid_days=_VALID_DAYS, uploaded_by_id=None, uploaded_at=uploaded_at,
            replaced_at=following[5] if same else None,
        ))


def upgrade() -> None:
    proof = op.create_table('proof',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('question_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('resource_id', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('evidence_date', sa.Date(), nullable=False),
    sa.Column('valid_days', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Uuid(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('valid_days > 0', name='ck_proof_valid_days_positive'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('uq_proof_current', 'proof', ['organization_id', 'question_key', 'resource_id'], unique=True,
                    postgresql_where=sa.text('replaced_at IS NULL'), sqlite_where=sa.text('replaced_at IS NULL'))
    _copy_evidence_files(op.get_bind(), proof)


def downgrade() -> None:
    op.execute(sa.text("""
        UPDATE evidence SET screenshot = p.file_name, screenshot_content_type = p.content_type
        FROM proof p
        WHERE p.replaced_at IS NULL AND evidence.id = (
            SELECT e.id FROM evidence e JOIN audit a ON a.id = e.audit_id JOIN question q ON q.id = e.question_id
            WHERE a.organization_id = p.organization_id AND q.key = p.question_key
              AND e.resource_id = p.resource_id AND e.screenshot IS NULL
            ORDER BY a.created_at DESC, e.id DESC LIMIT 1)
    """))
    op.drop_index('uq_proof_current', table_name='proof',
                  postgresql_where=sa.text('replaced_at IS NULL'), sqlite_where=sa.text('replaced_at IS NULL'))
    op.drop_table('proof')
