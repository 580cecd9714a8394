"""organizations get a server-generated AWS external id

Roles assumed with this server's own AWS credentials use it as sts:ExternalId.
Existing organizations get a random one here; integrations created before keep the external
id they stored until they are edited.

Revision ID: c4a1e2f3d5b6
Revises: b13e7a1d5c42
Create Date: 2026-12-01 22:20:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'c4a1e2f3d5b6'
down_revision: str | None = 'b13e7a1d5c42'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('organization', sa.Column('aws_external_id', sqlmodel.sql.sqltypes.AutoString(length=64),
                                            nullable=True))
    organization = sa.table('organization', sa.column('id', sa.Uuid), sa.column('aws_external_id', sa.String))
    connection = op.get_bind()
    for (org_id,) in connection.execute(sa.select(organization.c.id)).all():
        connection.execute(organization.update().where(organization.c.id == org_id)
                           .values(aws_external_id=secrets.token_hex(16)))
    with op.batch_alter_table('organization') as batch:
        batch.alter_column('aws_external_id', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
                           nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('organization') as batch:
        batch.drop_column('aws_external_id')
