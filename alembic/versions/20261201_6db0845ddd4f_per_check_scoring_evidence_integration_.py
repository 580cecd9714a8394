"""per-check scoring: evidence integration, audit check counts and scope, history check and resource counts

Also: AWS integrations stored with the old default region list (["us-east-1"]) now scan
every enabled region of the account, as new integrations do when no region is given.

Revision ID: 6db0845ddd4f
Revises: 2afaf0080f72
Create Date: 2026-12-01 21:40:02.986559
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '6db0845ddd4f'
down_revision: str | None = '2afaf0080f72'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
_OLD_DEFAULT_REGIONS = ["us-east-1"]


def _set_aws_regions(old: list[str], new: list[str]) -> None:
    """Rewrite integration.config["regions"] from `old` to `new` for AWS integrations."""
    conn = op.get_bind()
    integration = sa.table('integration', sa.column('id', sa.Uuid()), sa.column('provider', sa.String()),
                           sa.column('config', _JSON))
    for row in conn.execute(sa.select(integration.c.id, integration.c.config)
                            .where(integration.c.provider == 'aws')).all():
        config = row.config if isinstance(row.config, dict) else json.loads(row.config or "{}")
        if list(config.get("regions") or []) == old:
            config = {**config, "regions": new}
            conn.execute(integration.update().where(integration.c.id == row.id).values(config=config))


def upgrade() -> None:
    op.add_column('audit', sa.Column('check_counts', _JSON, server_default='{}', nullable=False))
    op.add_column('audit', sa.Column('scope', _JSON, server_default='{}', nullable=False))
    with op.batch_alter_table('evidence') as batch:
        batch.add_column(sa.Column('integration_id', sa.Uuid(), nullable=True))
        batch.create_foreign_key('fk_evidence_integration', 'integration', ['integration_id'], ['id'],
                                 ondelete='SET NULL')
    op.add_column('scan_history', sa.Column('total_not_applicable', sa.Integer(), server_default='0', nullable=False))
    op.add_column('scan_history', sa.Column('resources_passing', sa.Integer(), server_default='0', nullable=False))
    op.add_column('scan_history', sa.Column('resources_failing', sa.Integer(), server_default='0', nullable=False))
    _set_aws_regions(_OLD_DEFAULT_REGIONS, [])


def downgrade() -> None:
    _set_aws_regions([], _OLD_DEFAULT_REGIONS)
    op.drop_column('scan_history', 'resources_failing')
    op.drop_column('scan_history', 'resources_passing')
    op.drop_column('scan_history', 'total_not_applicable')
    with op.batch_alter_table('evidence') as batch:
        batch.drop_constraint('fk_evidence_integration', type_='foreignkey')
        batch.drop_column('integration_id')
    op.drop_column('audit', 'scope')
    op.drop_column('audit', 'check_counts')
