"""The app, worker or CLI started against a database at an older or a newer migration:
one clear line, no traceback, no write, a non-zero exit; `db upgrade`
still brings an older database forward."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import make_url

from compliance_app.db import reset_engine
from compliance_app.schema_version import (
    alembic_config,
    current_revision,
    head_revision,
    refuse_to_start_with_another_schema,
    script_directory,
)
from compliance_app.settings import PROJECT_ROOT
from tests.conftest import run_cli

UNKNOWN = "0f0f0f0f0f0f"


@pytest.fixture(scope="module")
def scratch_url(pg_url: str) -> Iterator[str]:
    """A PostgreSQL schema of its own in the test database, migrated apart from the tables
    the other tests use (a database of its own would cost a checkpoint to drop)."""
    name = f"ca_schema_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    try:
        yield make_url(pg_url).update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture
def scratch(scratch_url: str, pg_url: str) -> Iterator[str]:
    """The module's schema, at the revision before head, selected for this process (and only
    for this test: the settings and engines are reset to the shared test database after it)."""
    os.environ["DATABASE_URL"] = scratch_url
    reset_engine()
    previous = script_directory().get_revision(head_revision()).down_revision
    if current_revision() == UNKNOWN:
        _set_revision(scratch_url, head_revision())
    if current_revision() is None:
        command.upgrade(alembic_config(), previous)
    else:
        command.downgrade(alembic_config(), previous)
    yield scratch_url
    os.environ["DATABASE_URL"] = pg_url
    reset_engine()


def _rows(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
    finally:
        engine.dispose()


def _set_revision(url: str, revision: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    finally:
        engine.dispose()


def _worker(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compliance_app", "worker"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "DATABASE_URL": url})


@pytest.mark.slow
def test_an_older_database_is_refused_until_migrated(scratch: str, monkeypatch, capsys) -> None:
    older, head = current_revision(), head_revision()
    expected = f"error: the database is at revision {older}, this version needs {head}: run `make migrate`\n"

    code, out, err = run_cli(monkeypatch, capsys, "user", "create", "--email", "a@example.com", "--password",
                             "correct horse battery staple")
    assert (code, out, err) == (1, "", expected)
    worker = _worker(scratch)
    assert (worker.returncode, worker.stderr) == (1, expected), worker.stderr
    with pytest.raises(SystemExit) as refused:  # the web app's first lifespan task
        refuse_to_start_with_another_schema()
    assert refused.value.code == 1 and capsys.readouterr().err == expected
    assert _rows(scratch, "user") == 0 and _rows(scratch, "key_fingerprint") == 0  # nothing written

    code, out, _err = run_cli(monkeypatch, capsys, "db", "current")
    assert code == 0 and "run `make migrate`" in out
    assert run_cli(monkeypatch, capsys, "db", "upgrade")[0] == 0
    code, _out, err = run_cli(monkeypatch, capsys, "user", "create", "--email", "a@example.com", "--password",
                              "correct horse battery staple")
    assert (code, err) == (0, "")
    assert _rows(scratch, "user") == 1


@pytest.mark.slow
def test_a_newer_database_is_refused_and_left_alone(scratch: str, monkeypatch, capsys) -> None:
    assert run_cli(monkeypatch, capsys, "db", "upgrade")[0] == 0
    _set_revision(scratch, UNKNOWN)
    expected = (f"error: this database is newer than this version of compliance_app (it is at revision {UNKNOWN}, "
                f"which this version does not know; its newest is {head_revision()}): run the version that "
                "migrated it, or upgrade compliance_app\n")

    for args in (("org", "create", "--name", "N", "--slug", "n", "--owner", "a@example.com"), ("db", "upgrade")):
        code, out, err = run_cli(monkeypatch, capsys, *args)
        assert (code, out, err) == (1, "", expected), args
    worker = _worker(scratch)
    assert (worker.returncode, worker.stderr) == (1, expected), worker.stderr
    assert "Traceback" not in worker.stdout + worker.stderr
    assert _rows(scratch, "organization") == 0 and _rows(scratch, "key_fingerprint") == 0
    assert current_revision() == UNKNOWN  # `db upgrade` did not touch it
