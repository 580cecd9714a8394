"""Every CLI command with hostile arguments: exit 0, or exit 1-2 with one line on stderr and nothing written.

Commands are discovered from the real command tree (compliance_app.cli.build_app), so a new one is
fuzzed without being listed here. Each option or argument is left out, given a real value of
organization A (so the command gets past the lookups) or given hostile text: anything a shell can
pass, control characters, surrogate-escaped bytes, 1 MB strings, injection and path strings.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st

from compliance_app import cli, schema_version
from compliance_app.cli import build_app
from tests.conftest import run_cli
from tests.security.conftest import World
from tests.security.hostile.outcome import WriteGuard, run_each
from tests.security.hostile.strategies import HOSTILE_SETTINGS, cli_value

#: Commands that take no input, or that would not return: nothing to throw at them here.
NOT_FUZZED = {
    "serve": "starts the web server and runs until stopped",
    "worker": "runs the scheduler until SIGTERM",
    "db upgrade": "no input; migrates the database",
    "db current": "no input",
    "seed-demo": "no input but --json",
    "keys new": "no input",
    "keys new-signing": "no input",
    "keys rotate-signing": "no input but --json; makes a new key the installation's signing key",
    "snapshot export": "writes wherever --out points; tests/snapshots/test_signed_chain.py covers it",
}
#: Options never given: --wait would run a scan, which connects to the integration's provider; the
#: --output options write a file wherever they point (tests/exports and tests/checks_catalog cover them).
NEVER_GIVEN = {("scan", "--wait"), ("audit export", "--output"), ("questions docs", "--output")}
#: Commands that connect to the organization's integrations: they only ever get hostile values.
CONNECTS_OUT = {"integration test"}

#: Parameter name -> a real value of organization A.
VALID: dict[str, Callable[[World], str]] = {
    "org": lambda w: w.org_a.slug,
    "audit_id": lambda w: str(w.audit_a),
    "snapshot_id": lambda w: str(w.snapshot_a),
    "link_id": lambda w: str(w.link_a),
    "exception_id": lambda w: str(w.exception_a),
    "email": lambda w: w.viewer_a.email,
    "owner": lambda w: w.admin_a.email,
    "role": lambda w: "member",
    "question": lambda w: "isolation_resource_check",
    "expires": lambda w: "2030-01-01",
    "expires_in": lambda w: "7d",
    "regions": lambda w: "us-east-1",
    "provider": lambda w: "github",
    "status": lambda w: "COMPLETED",
    "limit": lambda w: "5",
    "page": lambda w: "1",
    "fmt": lambda w: "csv",
}


def leaf_commands() -> dict[str, Any]:
    """'group sub' -> the click command (typer bundles its own click, so this goes by shape, not class)."""
    found: dict[str, Any] = {}

    def walk(command: Any, path: list[str]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
        else:
            found[" ".join(path)] = command

    walk(typer.main.get_command(build_app()), [])
    return found


def _argv(data: st.DataObject, path: str, command: Any, world: World) -> list[str]:
    argv = path.split()
    for param in command.params:
        is_option = param.param_type_name == "option"
        if is_option and (path, param.opts[0]) in NEVER_GIVEN:
            continue
        if is_option and param.is_flag:
            if data.draw(st.booleans(), label=param.opts[0]):
                argv.append(param.opts[0])
            continue
        valid = None if path in CONNECTS_OUT else VALID.get(param.name or "")
        choices = ["hostile", "omit"] + (["valid"] if valid else [])
        choice = data.draw(st.sampled_from(choices), label=f"{param.name} from")
        if choice == "omit":
            continue
        value = valid(world) if choice == "valid" and valid else data.draw(cli_value(), label=param.name)
        argv.extend([param.opts[0], value] if is_option else [value])
    return argv


@pytest.fixture
def quick_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command tree and the migration scripts are the same for every call: build and read them once
    (each run_cli would otherwise spend ~0.4 s on them, and the suite must stay bounded)."""
    app = build_app()
    monkeypatch.setattr(cli, "build_app", lambda: app)
    monkeypatch.setattr(typer.main, "get_command", functools.cache(typer.main.get_command))
    monkeypatch.setattr(schema_version, "script_directory", functools.cache(schema_version.script_directory))


def test_the_command_tree_is_found() -> None:
    commands = leaf_commands()
    assert {"org create", "integration add github", "share create", "audit show"} <= set(commands)
    assert set(NOT_FUZZED) <= set(commands), "NOT_FUZZED names a command that no longer exists"


def test_every_cli_command_refuses_hostile_input_cleanly(
    world: World, quick_cli: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = leaf_commands()

    def check(path: str) -> None:
        command = commands[path]

        guard = WriteGuard()

        @HOSTILE_SETTINGS
        @given(data=st.data())
        def call(data: st.DataObject) -> None:
            argv = _argv(data, path, command, world)
            guard.before()
            code, out, err = run_cli(monkeypatch, capsys, *argv)
            assert code in (0, 1, 2), f"exit {code}"
            assert "Traceback" not in out + err
            if code == 0:
                guard.succeeded()
                return
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].strip(), f"stderr is not one line: {err[:300]!r}"
            assert not guard.refused(), "a refused command wrote to the database"

        call()

    problems = run_each(sorted(set(commands) - set(NOT_FUZZED)), check)
    assert not problems, "\n".join(problems)
