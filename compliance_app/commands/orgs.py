"""`org create --name N --slug S --owner EMAIL` and `member add --org S --email E --role R` (DESIGN.md §6).

The operator acts as the system actor; the activity log records these as 'cli'.
"""

from __future__ import annotations

import typer

from compliance_app.commands._common import actor, print_json
from compliance_app.services import organizations, sso_domains
from compliance_app.services.errors import NotFound


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

    sso_app = typer.Typer(help="An organization's single sign-on: email-domain rules, requiring SSO.",
                          no_args_is_help=True)  # fmt: skip

    @sso_app.command("show")
    def sso_show(
        org: str = typer.Option(..., "--org", help="Organization slug"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Whether SSO is required, and the email-domain rules."""
        access = organizations.get_organization_for(actor(), org)
        settings = sso_domains.get_sso_settings(actor(), access.organization.id)
        rules = [{"domain": r.domain, "role": r.role} for r in settings.rules]
        if as_json:
            print_json({"organization": access.organization.slug, "sso_configured": settings.configured,
                        "require_sso": settings.require_sso, "domain_rules": rules})  # fmt: skip
            return
        typer.echo(f"single sign-on {'required' if settings.require_sso else 'not required'}"
                   + ("" if settings.configured else " (not configured on this server)"))  # fmt: skip
        for rule in rules:
            typer.echo(f"{rule['domain']}\t{rule['role']}")

    @sso_app.command("add-domain")
    def sso_add_domain(
        org: str = typer.Option(..., "--org", help="Organization slug"),
        domain: str = typer.Option(..., "--domain", help="Email domain, e.g. acme.com"),
        role: str = typer.Option("member", "--role", help="admin, member or viewer: the role people join with"),
    ) -> None:
        """People signing in with SSO and a verified email at DOMAIN join the organization with ROLE."""
        access = organizations.get_organization_for(actor(), org)
        rule = sso_domains.add_domain_rule(actor(), access.organization.id, domain, role)
        typer.echo(f"{rule.domain} -> {rule.role} in '{access.organization.slug}'")

    @sso_app.command("remove-domain")
    def sso_remove_domain(
        org: str = typer.Option(..., "--org", help="Organization slug"),
        domain: str = typer.Option(..., "--domain", help="Email domain of the rule to remove"),
    ) -> None:
        """Remove an email-domain rule (members it added stay members)."""
        access = organizations.get_organization_for(actor(), org)
        wanted = sso_domains.validate_domain(domain)
        rules = sso_domains.get_sso_settings(actor(), access.organization.id).rules
        rule = next((r for r in rules if r.domain == wanted), None)
        if rule is None:
            raise NotFound(f"'{access.organization.slug}' has no rule for {wanted}.", field="domain")
        sso_domains.remove_domain_rule(actor(), access.organization.id, rule.id)
        typer.echo(f"rule for {wanted} removed from '{access.organization.slug}'")

    @sso_app.command("require")
    def sso_require(
        org: str = typer.Option(..., "--org", help="Organization slug"),
        off: bool = typer.Option(False, "--off", help="Allow password sign-in again"),
    ) -> None:
        """Members must sign in with SSO (password sign-in refused; API tokens unaffected)."""
        access = organizations.get_organization_for(actor(), org)
        sso_domains.set_require_sso(actor(), access.organization.id, not off)
        typer.echo(f"'{access.organization.slug}': single sign-on {'not required' if off else 'required'}")

    app.add_typer(org_app, name="org")
    app.add_typer(sso_app, name="sso")
    app.add_typer(member_app, name="member")
