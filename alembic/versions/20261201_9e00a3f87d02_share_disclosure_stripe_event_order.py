"""share link disclosure; stripe events remember their subscription and creation time

Links made before the choice existed keep showing everything ("full"); new links default
to "redact" in the model. Stripe events get the subscription they concern and Stripe's
creation time so a late, older event is recognised and ignored.

Revision ID: 9e00a3f87d02
Revises: 6839273a6b26
Create Date: 2026-12-01 22:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '9e00a3f87d02'
down_revision: str | None = '6839273a6b26'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('public_link') as batch:
        batch.add_column(
            sa.Column(
                'disclosure',
                sa.Enum('full', 'hide_raw', 'redact', name='linkdisclosure', native_enum=False, length=20),
                server_default='full',
                nullable=False,
            )
        )
    with op.batch_alter_table('stripe_event') as batch:
        batch.add_column(sa.Column('subscription_id', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stripe_event') as batch:
        batch.drop_column('created_at')
        batch.drop_column('subscription_id')
    with op.batch_alter_table('public_link') as batch:
        batch.drop_column('disclosure')
