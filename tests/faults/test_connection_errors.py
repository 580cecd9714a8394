"""Which database errors count as "the database is unavailable" (retried, shown as such) and which are ours."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from compliance_app.db_retry import is_connection_error, retry_database


def _sqlite_error(tmp_path: Path, sql: str) -> BaseException:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    try:
        with engine.connect() as connection, pytest.raises(OperationalError) as raised:
            connection.execute(sa.text(sql))
        return raised.value
    finally:
        engine.dispose()


@pytest.mark.parametrize("sql", ["SELECT jsonb_extract_path_text('{}', 'a')", "SELECT * FROM no_such_table",
                                 "SELEC 1"])
def test_a_mistake_in_the_sql_on_sqlite_is_not_an_unavailable_database(tmp_path: Path, sql: str) -> None:
    # SQLite raises OperationalError for these: taken for a lost connection, a page said "The
    # database is unavailable, retrying" for a statement SQLite cannot run, and retried it in vain
    error = _sqlite_error(tmp_path, sql)
    assert not is_connection_error(error)
    calls = []

    def statement() -> None:
        calls.append(1)
        raise error

    with pytest.raises(OperationalError):
        retry_database(statement, what="test", budget=5)
    assert len(calls) == 1  # raised at once, not retried


@pytest.mark.parametrize("message", ["database is locked", "unable to open database file", "disk I/O error"])
def test_sqlite_that_cannot_use_its_file_just_now_is_unavailable(message: str) -> None:
    assert is_connection_error(OperationalError("SELECT 1", {}, sqlite3.OperationalError(message)))


def test_postgresql_dropping_the_connection_is_unavailable() -> None:
    error = psycopg.OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")
    assert is_connection_error(OperationalError("SELECT 1", {}, error))
