"""Throwaway PostgreSQL databases for tests and benchmarks: created, migrated, dropped afterwards.

Both the test suite and bench/ need one; they never touch the developer's own database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from compliance_app.settings import PROJECT_ROOT

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def admin_engine() -> sa.Engine:
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def migrate_to_head(url: str) -> None:
    """Point DATABASE_URL (and the app's engine) at `url` and run every migration."""
    from alembic import command
    from alembic.config import Config

    from compliance_app.db import reset_engine

    os.environ["DATABASE_URL"] = url
    reset_engine()
    command.upgrade(Config(str(PROJECT_ROOT / "alembic.ini"), attributes={"configure_logger": False}), "head")


@contextmanager
def empty_database(prefix: str) -> Iterator[str]:
    """A new, empty database named <prefix>_<random> for the block; dropped even if connections remain."""
    from compliance_app.db import reset_engine

    admin = admin_engine()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        reset_engine()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def scratch_database(prefix: str = "ca_bench") -> Iterator[str]:
    """Point DATABASE_URL at a fresh, migrated database for the duration of the block."""
    with empty_database(prefix) as url:
        migrate_to_head(url)
        yield url
