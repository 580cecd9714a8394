"""key fingerprint: the database remembers which keys its secrets are encrypted under

Revision ID: 6839273a6b26
Revises: 6db0845ddd4f
Create Date: 2026-12-01 21:42:02.089491
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '6839273a6b26'
down_revision: str | None = '6db0845ddd4f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('key_fingerprint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('key_fingerprint')
