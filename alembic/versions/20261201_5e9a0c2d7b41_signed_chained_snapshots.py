"""signed, chained snapshots: signing keys, chain columns, chain heads, tombstones

A snapshot taken from now on records its place in its organization's hash chain
(sequence, previous_checksum) and a DSSE envelope signed with the installation's Ed25519
key. Older snapshots keep NULL in all three and are shown as unsigned. The immutability
trigger now guards the three new columns as well.

Revision ID: 5e9a0c2d7b41
Revises: 052cf75821fc
Create Date: 2026-12-01 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql


revision: str = '5e9a0c2d7b41'
down_revision: str | None = '052cf75821fc'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

_GUARD = """
CREATE OR REPLACE FUNCTION audit_snapshot_refuse_change() RETURNS trigger AS $$
BEGIN
    IF NEW.data::text IS DISTINCT FROM OLD.data::text
       OR NEW.checksum IS DISTINCT FROM OLD.checksum
       OR NEW.audit_id IS DISTINCT FROM OLD.audit_id
       OR NEW.organization_id IS DISTINCT FROM OLD.organization_id
       OR NEW.created_at IS DISTINCT FROM OLD.created_at{extra} THEN
        RAISE EXCEPTION 'audit_snapshot % is immutable: only is_pinned may change', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""
_CHAIN_COLUMNS = """
       OR NEW.sequence IS DISTINCT FROM OLD.sequence
       OR NEW.previous_checksum IS DISTINCT FROM OLD.previous_checksum
       OR NEW.envelope::text IS DISTINCT FROM OLD.envelope::text"""


def upgrade() -> None:
    op.create_table('signing_key',
    sa.Column('keyid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('public_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('keyid')
    )
    op.create_table('snapshot_chain_head',
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('checksum', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id')
    )
    op.create_table('snapshot_tombstone',
    sa.Column('snapshot_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('checksum', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('previous_checksum', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('envelope', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('snapshot_id'),
    sa.UniqueConstraint('organization_id', 'sequence', name='uq_snapshot_tombstone_org_sequence')
    )
    op.create_index(op.f('ix_snapshot_tombstone_organization_id'), 'snapshot_tombstone', ['organization_id'],
                    unique=False)
    with op.batch_alter_table('audit_snapshot') as batch:
        batch.add_column(sa.Column('sequence', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('previous_checksum', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch.add_column(sa.Column('envelope', JSON, nullable=True))
        batch.create_unique_constraint('uq_audit_snapshot_org_sequence', ['organization_id', 'sequence'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_GUARD.format(extra=_CHAIN_COLUMNS))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_GUARD.format(extra=''))
    with op.batch_alter_table('audit_snapshot') as batch:
        batch.drop_constraint('uq_audit_snapshot_org_sequence', type_='unique')
        batch.drop_column('envelope')
        batch.drop_column('previous_checksum')
        batch.drop_column('sequence')
    op.drop_index(op.f('ix_snapshot_tombstone_organization_id'), table_name='snapshot_tombstone')
    op.drop_table('snapshot_tombstone')
    op.drop_table('snapshot_chain_head')
    op.drop_table('signing_key')
