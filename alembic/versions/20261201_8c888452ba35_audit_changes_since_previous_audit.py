"""audit.changes: what changed since the organization's previous completed audit

Computed once when an audit completes (services/audit_diff.py). Audits completed
before stay NULL; `audit diff` computes theirs when asked.

Revision ID: 8c888452ba35
Revises: f550da40a376
Create Date: 2026-12-01 22:10:21.110407
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '8c888452ba35'
down_revision: str | None = 'f550da40a376'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('audit', sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                                        'postgresql'), nullable=True))


def downgrade() -> None:
    op.drop_column('audit', 'changes')
