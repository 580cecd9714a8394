"""Engine and session handling shared by the web app, the worker, the CLI and tests.

Services open their own session through `session_scope()` so each one owns its
transaction. The engine is cached per URL; tests point DATABASE_URL at a throwaway
database and call `reset_engine()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlmodel import Session, create_engine

from compliance_app.settings import get_settings


class DatabaseConfigError(RuntimeError):
    """DATABASE_URL is malformed or names a database that cannot be reached."""


_engines: dict[str, Engine] = {}


def normalize_url(url: str) -> str:
    """Accept the usual postgres:// spellings and select psycopg 3 as the driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def database_url() -> str:
    return normalize_url(get_settings().database_url)


def _build_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseConfigError(f"DATABASE_URL is malformed: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    if backend != "postgresql":
        raise DatabaseConfigError(
            f"DATABASE_URL uses unsupported database '{backend}': use postgresql:// or sqlite:///"
        )
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args={"connect_timeout": 5}
    )


def get_engine() -> Engine:
    url = database_url()
    if url not in _engines:
        _engines[url] = _build_engine(url)
    return _engines[url]


def reset_engine() -> None:
    """Dispose cached engines (tests switch databases; forked workers need fresh pools)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    get_settings.cache_clear()


def is_postgres() -> bool:
    return get_engine().dialect.name == "postgresql"


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def check_database() -> None:
    """Connect once; raise DatabaseConfigError with one readable line when that fails."""
    engine = get_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        safe = make_url(database_url()).render_as_string(hide_password=True)
        raise DatabaseConfigError(f"cannot reach database {safe}: {reason}") from None
