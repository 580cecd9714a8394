"""`db upgrade` / `db current`: apply or show migrations (DESIGN.md §6)."""

from __future__ import annotations

import typer
from alembic import command

from compliance_app.db import check_database
from compliance_app.schema_version import alembic_config, current_revision, refuse_newer_database, schema_problem


def upgrade() -> None:
    """Apply every pending migration (idempotent); a database a newer version migrated is left alone."""
    check_database()
    refuse_newer_database()
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
        problem = schema_problem()
        typer.echo(f"{current_revision() or 'empty (no migrations applied)'} ({problem or 'up to date'})")

    app.add_typer(db, name="db")
