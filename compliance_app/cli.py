"""`python -m compliance_app …`: the operator's command line (DESIGN.md §6).

Command groups live in compliance_app/commands/ and are discovered here, so adding a
command never means editing this file. Service errors become one line on stderr.
Every command but those in SCHEMA_FREE first checks that the database is at this
version's migration (schema_version.py), before it reads or writes anything.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer
from typer._click.exceptions import ClickException

from compliance_app import commands
from compliance_app.commands._common import one_line
from compliance_app.db import DatabaseConfigError
from compliance_app.schema_version import SchemaVersionError, require_current_schema
from compliance_app.services.crypto import SecretDecryptionError
from compliance_app.services.errors import ServiceError
from compliance_app.services.keys import KeyConfigError

#: Commands that work without the schema: migrating it, and reading the catalog in code.
#: `keys` too: `keys new` only prints a key; `keys rotate` checks the schema itself. `gate` talks to
#: a server over HTTP (/api/v1) from a CI machine that has no database.
SCHEMA_FREE = frozenset({"db", "questions", "keys", "gate"})


def _schema_guard(ctx: typer.Context) -> None:
    """Runs before every command: refuse (one line, exit 1) on a database at another migration."""
    if ctx.invoked_subcommand in SCHEMA_FREE or ctx.resilient_parsing or {"--help", "-h"} & set(sys.argv):
        return
    require_current_schema()


def build_app() -> typer.Typer:
    app = typer.Typer(
        help="compliance_app: continuous compliance for GitHub and AWS.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        callback=_schema_guard,
    )
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(app)
    return app


def main() -> None:
    app = build_app()
    try:
        result = app(standalone_mode=False)
    except (ServiceError, DatabaseConfigError, SecretDecryptionError, KeyConfigError, SchemaVersionError) as exc:
        typer.echo(f"error: {one_line(str(exc))}", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        sys.exit(1)
    except ClickException as exc:  # usage errors: one line, exit 2
        if exc.format_message():  # empty for "no arguments: help shown"
            typer.echo(f"error: {one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(result if isinstance(result, int) else 0)
