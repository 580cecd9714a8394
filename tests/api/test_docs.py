"""docs/api.md's curl examples, run as written against the API on loopback; its workflow names the gate
with options the command has."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator

import pytest
import typer
import yaml

from compliance_app.cli import build_app
from compliance_app.settings import get_settings
from tests.api.conftest import ApiWorld
from tests.conftest import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "api.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S)


def curl_examples() -> list[str]:
    return [line for block in blocks("sh") for line in block.splitlines() if line.startswith("curl ")]


@pytest.fixture
def scans_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ENGINE_OVERRIDE_MODULE", "tests.scans.fake_checks")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_doc_has_an_example_per_route() -> None:
    examples = curl_examples()
    assert len(examples) == 9
    assert {re.search(r"/api/v1(/orgs(/\$ORG/\w+)?)", e).group(1) for e in examples} == {  # type: ignore[union-attr]
        "/orgs", "/orgs/$ORG/audits", "/orgs/$ORG/checks", "/orgs/$ORG/trend", "/orgs/$ORG/snapshots",
        "/orgs/$ORG/scans",
    }


def test_curl_examples_run(api_world: ApiWorld, loopback_server: str, scans_allowed: None) -> None:
    env = {**os.environ, "COMPLIANCE_URL": loopback_server, "COMPLIANCE_API_TOKEN": api_world.tokens[("a", "scan")],
           "ORG": api_world.org_a.slug, "AUDIT_ID": str(api_world.audit_a)}
    for example in curl_examples():
        result = subprocess.run(["bash", "-c", example], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"{example}\n{result.stdout}{result.stderr}"
        json.loads(result.stdout)
    result = subprocess.run(["bash", "-c", curl_examples()[0]], env={**env, "COMPLIANCE_API_TOKEN": "cat_nope"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "invalid, expired or revoked" in result.stdout


def test_the_workflow_runs_the_gate_with_real_options() -> None:
    (workflow,) = blocks("yaml")
    steps = yaml.safe_load(workflow)["jobs"]["gate"]["steps"]
    (gate,) = [s for s in steps if s.get("name") == "Compliance gate"]
    assert "COMPLIANCE_API_TOKEN" in gate["env"]
    argv = gate["run"].split()
    assert argv[:4] == ["python", "-m", "compliance_app", "gate"]
    command = typer.main.get_command(build_app()).commands["gate"]  # type: ignore[attr-defined]
    known = {opt for p in command.params for opt in p.opts}
    assert {a for a in argv[4:] if a.startswith("--")} <= known
    assert "COMPLIANCE_API_TOKEN" in {p.envvar for p in command.params}
