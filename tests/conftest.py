"""Test-wide fixtures: a throwaway PostgreSQL database per test run, migrated to head.

Tests use the real PostgreSQL (never a mocked database). Each test starts from empty
tables: an autouse fixture truncates everything afterwards, which also works when the
code under test commits from threads or other processes (worker tests).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

os.environ.setdefault("SECRET_KEY", "test-secret-key")
os.environ["REFLEX_TELEMETRY_ENABLED"] = "false"


def _admin_engine() -> sa.Engine:
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def migrate_to_head(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from compliance_app.db import reset_engine

    os.environ["DATABASE_URL"] = url
    reset_engine()
    command.upgrade(Config("alembic.ini", attributes={"configure_logger": False}), "head")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """Create ca_test_<random>, migrate it, point DATABASE_URL at it, drop it at the end."""
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc.orig}", pytrace=False)
    name = f"ca_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    migrate_to_head(url)
    try:
        yield url
    finally:
        from compliance_app.db import reset_engine

        reset_engine()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(autouse=True)
def clean_db(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table after each test that used the database."""
    yield
    if "pg_url" not in request.fixturenames:
        return
    from sqlmodel import SQLModel

    from compliance_app.db import get_engine

    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with get_engine().begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def db(pg_url: str) -> str:
    """Request this (or pg_url) in any test that touches the database."""
    os.environ["DATABASE_URL"] = pg_url
    return pg_url
