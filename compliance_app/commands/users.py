"""`user create --email E --password P [--name N]` (DESIGN.md §6)."""

from __future__ import annotations

import typer

from compliance_app.commands._common import print_json
from compliance_app.services import accounts


def register(app: typer.Typer) -> None:
    user_app = typer.Typer(help="User accounts.", no_args_is_help=True)

    @user_app.command("create")
    def create(
        email: str = typer.Option(..., "--email", help="Sign-in email (unique)"),
        password: str = typer.Option(..., "--password", help="At least 12 characters"),
        name: str = typer.Option("", "--name", help="Display name"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Create a user who can sign in with this email and password."""
        user = accounts.create_user(email, password, name)
        if as_json:
            print_json({"id": user.id, "email": user.email, "name": user.name})
            return
        typer.echo(f"user {user.email} created ({user.id})")

    app.add_typer(user_app, name="user")
