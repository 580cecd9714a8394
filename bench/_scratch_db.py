"""A throwaway PostgreSQL database for a benchmark: created, migrated, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def scratch_database(prefix: str = "ca_bench") -> Iterator[str]:
    """Point DATABASE_URL at a fresh, migrated database for the duration of the block."""
    from alembic import command
    from alembic.config import Config

    from compliance_app.db import reset_engine

    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    os.environ["DATABASE_URL"] = url
    try:
        reset_engine()
        command.upgrade(Config("alembic.ini", attributes={"configure_logger": False}), "head")
        yield url
    finally:
        reset_engine()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
