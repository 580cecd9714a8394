"""Shared CLI helpers so every command honours the same output contract (DESIGN.md §6)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from typing import Any, NoReturn
from uuid import UUID

import typer

from compliance_app.services.authz import Actor


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return str(value)


def print_json(document: Any) -> None:
    """Exactly one JSON document on stdout, nothing else."""
    sys.stdout.write(json.dumps(document, default=_default, indent=2, sort_keys=True) + "\n")


def one_line(message: str) -> str:
    """Errors echo what was typed: control and invisible characters (newlines, terminal escapes, bidi
    overrides, lone surrogates) are shown escaped, so the error stays one line and cannot repaint the
    terminal."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in message)


def fail(message: str, code: int = 1) -> NoReturn:
    """One clear line on stderr and a non-zero exit."""
    typer.echo(f"error: {one_line(message)}", err=True)
    raise typer.Exit(code)


def actor() -> Actor:
    """The operator at the terminal acts as the system (full rights, logged as 'cli')."""
    return Actor.system("cli")
