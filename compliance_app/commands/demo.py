"""`seed-demo`: idempotent demo organization, user, audit and 30 days of history."""

from __future__ import annotations

import typer

from compliance_app.commands._common import print_json
from compliance_app.db import check_database
from compliance_app.services.demo import seed_demo


def register(app: typer.Typer) -> None:
    @app.command("seed-demo")
    def seed(as_json: bool = typer.Option(False, "--json", help="Print JSON")) -> None:
        """Create the demo organization (does nothing if it exists)."""
        check_database()
        result = seed_demo()
        if as_json:
            print_json({"created": result.created, "email": result.email, "organization": result.slug})
            return
        verb = "created" if result.created else "already present"
        typer.echo(f"demo organization '{result.slug}' {verb}; log in as {result.email} / {result.password}")
