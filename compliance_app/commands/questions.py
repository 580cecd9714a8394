"""`questions list [--json]`, `questions docs [--output FILE]`: the check catalog (DESIGN.md §6).

Read from the catalog in code, which the Question table mirrors, so the list works
before any database exists (e.g. to review the catalog before installing).
"""

from __future__ import annotations

import typer

from compliance_app.checks.registry import all_checks
from compliance_app.commands._common import print_json
from compliance_app.services import catalog_docs


def register(app: typer.Typer) -> None:
    questions_app = typer.Typer(help="The check catalog.", no_args_is_help=True)

    @questions_app.command("list")
    def list_(
        provider: str = typer.Option("", "--provider", help="Only github or aws"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Every check: key, title, provider, severity, frameworks."""
        rows = [{"key": c.meta.key, "title": c.meta.title, "provider": c.meta.provider.value,
                 "service": c.meta.service, "severity": c.meta.severity.value, "frameworks": c.meta.frameworks}
                for c in all_checks() if not provider or c.meta.provider.value == provider.strip().lower()]
        if as_json:
            print_json(rows)
            return
        for row in rows:
            frameworks = "; ".join(f"{k} {', '.join(v)}" for k, v in sorted(row["frameworks"].items()))
            typer.echo(f"{row['key']}  [{row['provider']}/{row['severity']}]  {row['title']}  ({frameworks})")

    @questions_app.command("docs")
    def docs(output: str = typer.Option("", "--output", help="Write to this file instead of stdout")) -> None:
        """The catalog as Markdown (docs/checks.md is this output; `make docs` regenerates it)."""
        text = catalog_docs.render()
        if output:
            with open(output, "w", encoding="utf-8") as f:
                f.write(text)
        else:
            typer.echo(text, nl=False)

    app.add_typer(questions_app, name="questions")
