"""`integration add github|aws`, `integration test` and `integration list` (DESIGN.md §6).

Secrets given on the command line go straight to the service, which encrypts them; they
are never echoed back (output shows only the last four characters).
"""

from __future__ import annotations

import uuid

import typer

from compliance_app.commands._common import actor, fail, print_json
from compliance_app.services import integrations, organizations
from compliance_app.services.integrations import IntegrationRow
from compliance_app.timestamps import iso_utc


def _org_id(slug: str) -> uuid.UUID:
    return organizations.get_organization_for(actor(), slug).organization.id


def _describe(row: IntegrationRow) -> str:
    regions = ",".join(row.config.get("regions") or []) or "all enabled regions"
    where = row.config.get("github_org") or row.config.get("role_arn") or regions
    hint = f" (…{row.secret_hint})" if row.secret_hint else ""
    external = f" external id {row.external_id}" if row.external_id else ""
    return f"{row.provider} '{row.name}' [{where}]{hint}{external}"


def register(app: typer.Typer) -> None:
    integration_app = typer.Typer(help="GitHub and AWS integrations.", no_args_is_help=True)
    add_app = typer.Typer(help="Connect a GitHub organization or an AWS account.", no_args_is_help=True)

    @add_app.command("github")
    def add_github(
        org: str = typer.Option(..., "--org", help="Organization slug"),
        token: str = typer.Option(..., "--token", help="GitHub token (repo, read:org, security_events)"),
        github_org: str = typer.Option(..., "--github-org", help="GitHub organization login"),
        base_url: str = typer.Option("", "--base-url", help="API URL for GitHub Enterprise"),
        name: str = typer.Option("", "--name", help="Display name"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Store a GitHub integration (the token is encrypted at rest)."""
        row = integrations.add_github_integration(actor(), _org_id(org), token, github_org, base_url or None,
                                                  name=name or None)
        if as_json:
            print_json(row.as_dict())
            return
        typer.echo(f"added {_describe(row)} to '{org}' (id {row.id})")

    @add_app.command("aws")
    def add_aws(
        org: str = typer.Option(..., "--org", help="Organization slug"),
        access_key_id: str = typer.Option("", "--access-key-id", help="Access key id"),
        secret_access_key: str = typer.Option("", "--secret-access-key", help="Secret access key"),
        role_arn: str = typer.Option(
            "", "--role-arn",
            help="IAM role to assume with the access keys (keys optional if AWS_USE_HOST_CREDENTIALS=true)"),
        external_id: str = typer.Option(
            "", "--external-id",
            help="External id for a role assumed with these access keys (a role this server assumes with its "
                 "own credentials uses the organization's id, shown by `integration list`)"),
        regions: str = typer.Option("", "--regions",
                                    help="Comma-separated regions to restrict the scan to (default: every region "
                                         "the account has enabled)"),
        endpoint_url: str = typer.Option("", "--endpoint-url", help="Custom endpoint (tests)"),
        name: str = typer.Option("", "--name", help="Display name"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Store an AWS integration: access keys, optionally with a role ARN (+ external id) to assume."""
        row = integrations.add_aws_integration(
            actor(), _org_id(org), access_key_id or None, secret_access_key or None, role_arn or None,
            external_id or None, regions, endpoint_url or None, name=name or None)
        if as_json:
            print_json(row.as_dict())
            return
        typer.echo(f"added {_describe(row)} to '{org}' (id {row.id})")

    @integration_app.command("list")
    def list_(
        org: str = typer.Option(..., "--org", help="Organization slug"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """The organization's integrations (never their secrets), and the external id to put in the trust
        policy of a role this server assumes with its own credentials."""
        org_id = _org_id(org)
        rows = integrations.list_integrations(actor(), org_id)
        if as_json:
            print_json([r.as_dict() for r in rows])
            return
        if server_id := integrations.server_role_external_id(actor(), org_id):
            typer.echo(f"external id for roles this server assumes: {server_id} "
                       "(the role's trust policy must require it as sts:ExternalId)")
        if not rows:
            typer.echo(f"'{org}' has no integrations")
        for row in rows:
            tested = ("never tested" if row.last_tested_at is None
                      else f"last test {'ok' if row.last_test_ok else 'FAILED'} {iso_utc(row.last_tested_at)}")
            typer.echo(f"{row.id}  {_describe(row)}  {tested}")

    @integration_app.command("test")
    def test(
        org: str = typer.Option(..., "--org", help="Organization slug"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Test every integration; exit non-zero if any fails, saying what and why."""
        results = integrations.test_all_integrations(actor(), _org_id(org))
        if not results:
            fail(f"'{org}' has no integrations to test")
        failed = [(row, result) for row, result in results if not result.ok]
        if as_json:
            print_json([{"id": row.id, "provider": row.provider, "name": row.name, "ok": result.ok,
                         "message": result.message} for row, result in results])
        else:
            for row, result in results:
                typer.echo(f"{'ok  ' if result.ok else 'FAIL'}  {_describe(row)}: {result.message}")
        if failed:
            fail("; ".join(f"{row.provider} '{row.name}': {result.message}" for row, result in failed))

    integration_app.add_typer(add_app, name="add")
    app.add_typer(integration_app, name="integration")
