"""Single sign-on: domain rules, sign-ins in flight, organization.require_sso, user.sso_subject

Revision ID: 5e6a6e111259
Revises: 078fd6afdc58
Create Date: 2026-12-02 01:39:22.257039
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy import Text


revision: str = '5e6a6e111259'
down_revision: str | None = '078fd6afdc58'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sso_login_request',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('state_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('code_verifier', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('next_path', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('state_hash')
    )
    op.create_table('sso_domain_rule',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organization_id', sa.Uuid(), nullable=False),
    sa.Column('domain', sqlmodel.sql.sqltypes.AutoString(length=253), nullable=False),
    sa.Column('role', sa.Enum('admin', 'member', 'viewer', name='role', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organization_id', 'domain', name='uq_sso_domain_rule_org_domain')
    )
    op.create_index(op.f('ix_sso_domain_rule_domain'), 'sso_domain_rule', ['domain'], unique=False)
    op.create_index(op.f('ix_sso_domain_rule_organization_id'), 'sso_domain_rule', ['organization_id'], unique=False)
    op.add_column('organization', sa.Column('require_sso', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('user', sa.Column('sso_subject', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
    op.create_index(op.f('ix_user_sso_subject'), 'user', ['sso_subject'], unique=True)


def downgrade() -> None:
    op.drop_index(op.f('ix_user_sso_subject'), table_name='user')
    op.drop_column('user', 'sso_subject')
    op.drop_column('organization', 'require_sso')
    op.drop_index(op.f('ix_sso_domain_rule_organization_id'), table_name='sso_domain_rule')
    op.drop_index(op.f('ix_sso_domain_rule_domain'), table_name='sso_domain_rule')
    op.drop_table('sso_domain_rule')
    op.drop_table('sso_login_request')
