"""users remember the organization they used last; the demo organization is flagged

Signing in lands on the dashboard of the last organization used; the seeded
demo organization is marked so that it is never scheduled nor scanned (`seed-demo` flags
an existing one).

Revision ID: b13e7a1d5c42
Revises: 9e00a3f87d02
Create Date: 2026-12-01 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b13e7a1d5c42'
down_revision: str | None = '9e00a3f87d02'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('organization') as batch:
        batch.add_column(sa.Column('is_demo', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('user') as batch:
        batch.add_column(sa.Column('last_organization_id', sa.Uuid(), nullable=True))
        batch.create_foreign_key('fk_user_last_organization', 'organization', ['last_organization_id'], ['id'],
                                 ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('user') as batch:
        batch.drop_constraint('fk_user_last_organization', type_='foreignkey')
        batch.drop_column('last_organization_id')
    with op.batch_alter_table('organization') as batch:
        batch.drop_column('is_demo')
