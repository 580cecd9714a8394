"""notifications: per-organization settings, members' opt-in, the outbox and the delivery log

The workers deliver notification messages from notification_outbox (claimed with
FOR UPDATE SKIP LOCKED, dedupe_key unique so an event makes one message); every attempt is
written to notification_log, which admins read. The webhook URL is stored encrypted.

Revision ID: 052cf75821fc
Revises: 8c888452ba35
Create Date: 2026-12-01 22:16:52.410245
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '052cf75821fc'
down_revision: str | None = '8c888452ba35'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('notification_settings',
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('extra_recipients', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default='[]', nullable=False),
    sa.Column('webhook_encrypted', sa.Text(), nullable=True),
    sa.Column('webhook_host', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('rules', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id')
    )
    op.create_table('notification_subscription',
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id', 'user_id')
    )
    op.create_table('notification_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('rule', sa.Enum('new_failures', 'scan_problems', 'risk_expiring', 'weekly_digest', 'test', name='notificationrule', native_enum=False, length=20), nullable=False),
    sa.Column('channel', sa.Enum('email', 'webhook', name='notificationchannel', native_enum=False, length=20), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('audit_id', sa.Uuid(), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'SENDING', 'SENT', 'RETRYING', 'FAILED', name='deliverystatus', native_enum=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['audit_id'], ['audit.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    op.create_index('ix_notification_outbox_due', 'notification_outbox', ['status', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_notification_outbox_organization_id'), 'notification_outbox', ['organization_id'], unique=False)
    op.create_table('notification_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('rule', sa.Enum('new_failures', 'scan_problems', 'risk_expiring', 'weekly_digest', 'test', name='notificationrule', native_enum=False, length=20), nullable=False),
    sa.Column('channel', sa.Enum('email', 'webhook', name='notificationchannel', native_enum=False, length=20), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'SENDING', 'SENT', 'RETRYING', 'FAILED', name='deliverystatus', native_enum=False, length=20), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_id'], ['notification_outbox.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_notification_log_organization_created', 'notification_log', ['organization_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_notification_log_organization_created', table_name='notification_log')
    op.drop_table('notification_log')
    op.drop_index(op.f('ix_notification_outbox_organization_id'), table_name='notification_outbox')
    op.drop_index('ix_notification_outbox_due', table_name='notification_outbox')
    op.drop_table('notification_outbox')
    op.drop_table('notification_subscription')
    op.drop_table('notification_settings')
