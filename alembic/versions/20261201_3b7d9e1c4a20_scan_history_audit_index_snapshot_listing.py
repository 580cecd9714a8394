"""scan_history(audit_id) index; snapshot_listing: the snapshots list's columns and last verification

Risk acceptance and audit deletion look ScanHistory up by audit: a sequential scan at scale.
The snapshots list read and re-hashed every listed snapshot's full data on
each page load; `snapshot_listing` keeps what the list shows (figures computed once, snapshots
being immutable) and the time and verdict of the last verification. Existing snapshots get
their row the first time they are listed (services/snapshot_listing.py), not here: computing
the figures needs the application's score-basis wording.

Revision ID: 3b7d9e1c4a20
Revises: 5e9a0c2d7b41
Create Date: 2026-12-01 22:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '3b7d9e1c4a20'
down_revision: str | None = '5e9a0c2d7b41'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f('ix_scan_history_audit_id'), 'scan_history', ['audit_id'], unique=False)
    op.create_table(
        'snapshot_listing',
        sa.Column('snapshot_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('evidence_count', sa.Integer(), nullable=False),
        sa.Column('audit_finished_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('score_basis', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('valid', sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(['snapshot_id'], ['audit_snapshot.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('snapshot_id'),
    )


def downgrade() -> None:
    op.drop_table('snapshot_listing')
    op.drop_index(op.f('ix_scan_history_audit_id'), table_name='scan_history')
