"""Migrations: full round trips on PostgreSQL and SQLite, drift, and the design's indexes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import compliance_app.models  # noqa: F401
from compliance_app.db import reset_engine
from tests.conftest import PROJECT_ROOT
from tests.support.scratch_db import empty_database


def _config(url: str, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("DATABASE_URL", url)
    reset_engine()
    return Config(str(PROJECT_ROOT / "alembic.ini"), attributes={"configure_logger": False})


@pytest.fixture
def scratch_pg() -> Iterator[str]:
    with empty_database("ca_mig") as url:
        yield url


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _round_trip(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _config(url, monkeypatch)
    command.upgrade(cfg, "head")
    assert _tables(url) == set(SQLModel.metadata.tables)
    command.downgrade(cfg, "base")
    assert _tables(url) == set()
    command.upgrade(cfg, "head")
    assert _tables(url) == set(SQLModel.metadata.tables)


def test_round_trip_postgresql(scratch_pg: str, monkeypatch: pytest.MonkeyPatch, pg_url: str) -> None:
    try:
        _round_trip(scratch_pg, monkeypatch)
    finally:
        monkeypatch.setenv("DATABASE_URL", pg_url)
        reset_engine()


def test_round_trip_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _round_trip(f"sqlite:///{tmp_path / 'trial.db'}", monkeypatch)
    reset_engine()


def test_single_migration_head() -> None:
    script = ScriptDirectory.from_config(Config(str(PROJECT_ROOT / "alembic.ini")))
    assert len(script.get_heads()) == 1, f"several migration heads: {script.get_heads()}"


def test_models_and_migrations_do_not_drift(pg_url: str) -> None:
    """Fails when a model changes without `make migration` (autogenerate finds a diff)."""
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, SQLModel.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models differ from migrations; run `make migration m=...`: {diff}"


def test_design_indexes_exist_on_postgresql(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname='public'"))
            defs = [(t, d.replace('"', "")) for t, d in rows]
            uniques = conn.execute(sa.text(
                "SELECT conname FROM pg_constraint WHERE contype='u' AND conrelid='membership'::regclass"
            )).scalars().all()
    finally:
        engine.dispose()

    def has(table: str, fragment: str, unique: bool = False) -> bool:
        return any(
            t == table and fragment in d and (not unique or d.startswith("CREATE UNIQUE")) for t, d in defs
        )

    assert has("organization", "(slug)", unique=True)
    assert has("organization", "(owner_id)")
    assert has("membership", "(user_id, organization_id)")
    assert has("audit", "(organization_id, created_at)")
    assert has("evidence", "(audit_id, status)")
    assert "uq_membership_user_organization" in uniques
    assert any(t == "audit" and "WHERE" in d and "PENDING" in d for t, d in defs), "partial unique index"
