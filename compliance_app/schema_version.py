"""Is the database at the migration this code needs? Asked before a process does anything else.

Code and schema move together: a web process, worker or CLI command started against a
database that is behind (someone upgraded the code and forgot `make migrate`) or ahead (an
older version started against a database a newer one migrated) would otherwise fail
mid-request with a traceback about a missing column, or worse, write rows the other
version misreads. So every entry point that needs the schema checks it first, says in one
line what to do, and writes nothing. `db upgrade` and `db current` are the exceptions:
they are how the schema gets where it must be.
"""

from __future__ import annotations

import sys

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from compliance_app.db import DatabaseConfigError, check_database, get_engine
from compliance_app.settings import PROJECT_ROOT


class SchemaVersionError(RuntimeError):
    """The database's schema is not the one this version of the code was written for."""


def alembic_config() -> Config:
    return Config(str(PROJECT_ROOT / "alembic.ini"), attributes={"configure_logger": False})


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def current_heads() -> tuple[str, ...]:
    """The revision(s) the database says it is at; () when no migration was ever applied."""
    with get_engine().connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


def current_revision() -> str | None:
    heads = current_heads()
    return ", ".join(heads) if heads else None


def head_revision() -> str | None:
    return script_directory().get_current_head()


def _newer_problem(script: ScriptDirectory, found: tuple[str, ...]) -> str | None:
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = [rev for rev in found if rev not in known]
    if not unknown:
        return None
    return (f"this database is newer than this version of compliance_app (it is at revision "
            f"{', '.join(unknown)}, which this version does not know; its newest is "
            f"{', '.join(script.get_heads())}): run the version that migrated it, or upgrade compliance_app")


def schema_problem() -> str | None:
    """None when the database is at this version's head; otherwise the one line to show."""
    check_database()
    script = script_directory()
    needed = tuple(script.get_heads())
    found = current_heads()
    if set(found) == set(needed):
        return None
    wanted = ", ".join(needed)
    if not found:
        return f"the database has no schema yet, this version needs revision {wanted}: run `make migrate`"
    return _newer_problem(script, found) or (
        f"the database is at revision {', '.join(found)}, this version needs {wanted}: run `make migrate`")


def refuse_newer_database() -> None:
    """`db upgrade` brings an older database forward; a newer one it must leave alone."""
    check_database()
    problem = _newer_problem(script_directory(), current_heads())
    if problem is not None:
        raise SchemaVersionError(problem)


def require_current_schema() -> None:
    """Raise SchemaVersionError (one line) unless the database is at this version's head."""
    problem = schema_problem()
    if problem is not None:
        raise SchemaVersionError(problem)


def refuse_to_start_with_another_schema() -> None:
    """For process entry points (the web app): one line on stderr and exit 1."""
    try:
        require_current_schema()
    except (SchemaVersionError, DatabaseConfigError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise SystemExit(1) from None
