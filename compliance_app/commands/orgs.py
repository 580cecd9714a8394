"""`org create --name N --slug S --owner EMAIL` and `member add --org S --email E --role R` (DESIGN.md §6).

The operator acts as the system actor; the activity log records these as 'cli'.
"""

from __future__ import annotations

import typer

from compliance_app.commands._common import actor, print_json
from compliance_app.services import organizations


def register(app: typer.Typer) -> None:
    org_app = typer.Typer(help="Organizations.", no_args_is_help=True)
    member_app = typer.Typer(help="Organization members.", no_args_is_help=True)

    @org_app.command("create")
    def create(
        name: str = typer.Option(..., "--name", help="Display name"),
        slug: str = typer.Option("", "--slug", help="URL slug; derived from the name when omitted"),
        owner: str = typer.Option(..., "--owner", help="Email of an existing user, who becomes owner and admin"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Create an organization owned by an existing user."""
        org = organizations.create_organization(actor(), name, slug or None, owner_email=owner)
        if as_json:
            print_json({"id": org.id, "name": org.name, "slug": org.slug, "owner": owner.strip().lower()})
            return
        typer.echo(f"organization '{org.slug}' ({org.name}) created, owned by {owner.strip().lower()}")

    @member_app.command("add")
    def add(
        org: str = typer.Option(..., "--org", help="Organization slug"),
        email: str = typer.Option(..., "--email", help="Email of an existing user"),
        role: str = typer.Option(..., "--role", help="admin, member or viewer"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Add an existing user to an organization with a role."""
        access = organizations.get_organization_for(actor(), org)
        row = organizations.add_member(actor(), access.organization.id, email, role)
        if as_json:
            print_json({"organization": access.organization.slug, "email": row.email, "role": row.role})
            return
        typer.echo(f"{row.email} added to '{access.organization.slug}' as {row.role}")

    app.add_typer(org_app, name="org")
    app.add_typer(member_app, name="member")
