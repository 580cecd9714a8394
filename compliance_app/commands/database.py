"""`db upgrade` / `db current`: apply or show migrations (DESIGN.md §6)."""

from __future__ import annotations

import typer
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from compliance_app.db import check_database, get_engine
from compliance_app.settings import PROJECT_ROOT


def alembic_config() -> Config:
    return Config(str(PROJECT_ROOT / "alembic.ini"), attributes={"configure_logger": False})


def current_revision() -> str | None:
    with get_engine().connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade() -> None:
    """Apply every pending migration (idempotent)."""
    check_database()
    command.upgrade(alembic_config(), "head")


def register(app: typer.Typer) -> None:
    db = typer.Typer(help="Database migrations.", no_args_is_help=True)

    @db.command("upgrade")
    def db_upgrade() -> None:
        """Apply all migrations up to the newest one."""
        upgrade()
        typer.echo(f"database at revision {current_revision()} (head)")

    @db.command("current")
    def db_current() -> None:
        """Show the database's revision and whether it is up to date."""
        check_database()
        rev, head = current_revision(), head_revision()
        state = "up to date" if rev == head else f"behind head {head}; run `db upgrade`"
        typer.echo(f"{rev or 'empty (no migrations applied)'} ({state})")

    app.add_typer(db, name="db")
