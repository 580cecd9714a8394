"""`token create|list|revoke`: API tokens for CI pipelines and scripts (docs/api.md)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer

from compliance_app.commands._common import actor, print_json
from compliance_app.services import api_tokens
from compliance_app.services.api_tokens import TokenInfo


def _document(info: TokenInfo) -> dict[str, Any]:
    return {**asdict(info), "status": info.status()}


def register(app: typer.Typer) -> None:
    token = typer.Typer(help="API tokens: a non-human member of one organization.", no_args_is_help=True)

    @token.command("create")
    def token_create(
        org: str = typer.Option(..., "--org", help="Organization slug"),
        name: str = typer.Option(..., "--name", help="What the token is for, e.g. the pipeline"),
        scope: str = typer.Option(..., "--scope", help="read (viewer), scan (member: also starts scans) or admin"),
        expires_in: str = typer.Option(
            api_tokens.DEFAULT_EXPIRY, "--expires-in", help="Lifetime: 12h, 90d, 8w (at most 365d)"
        ),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Create a token; it is printed once and never again (only its hash is stored)."""
        info, secret = api_tokens.create_token(actor(), org, name, scope, expires_in)
        if as_json:
            print_json({**_document(info), "token": secret})
            return
        expires = f"{info.expires_at:%Y-%m-%d %H:%M} UTC" if info.expires_at else "never"
        typer.echo(f"token {info.id} “{info.name}” for {org}, scope {info.scope}, expires {expires}")
        typer.echo(f"token {secret}")
        typer.echo("The token is shown only now: store it in your CI's secret store.")

    @token.command("list")
    def token_list(
        org: str = typer.Option(..., "--org", help="Organization slug"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Every token of the organization (never the tokens themselves)."""
        infos = api_tokens.list_tokens(actor(), org)
        if as_json:
            print_json([_document(i) for i in infos])
            return
        if not infos:
            typer.echo(f"no API tokens in {org}")
        for i in infos:
            used = (f"last used {i.last_used_at:%Y-%m-%d %H:%M} from {i.last_used_ip}" if i.last_used_at
                    else "never used")
            expires = f"{i.expires_at:%Y-%m-%d}" if i.expires_at else "never"
            typer.echo(f"{i.id}\t{i.prefix}…\t{i.name}\t{i.scope}\t{i.status()}\texpires {expires}\t{used}")

    @token.command("revoke")
    def token_revoke(
        token_id: str = typer.Argument(..., help="Token id (from token list)"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Stop a token from working at once."""
        info = api_tokens.revoke_token(actor(), token_id)
        if as_json:
            print_json(_document(info))
            return
        typer.echo(f"token {info.id} “{info.name}” revoked")

    app.add_typer(token, name="token")
