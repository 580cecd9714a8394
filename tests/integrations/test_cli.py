"""`integration …` and `questions list` keep the DESIGN.md §6 contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from compliance_app.checks.registry import all_checks
from tests.conftest import run_cli
from tests.factories import make_org, make_user
from tests.support.github_server import GitHubServer

ROOT = Path(__file__).resolve().parents[2]


def test_add_list_and_test_integrations(db, monkeypatch, capsys, github_server: GitHubServer) -> None:
    make_org(make_user(), slug="acme")
    code, out, err = run_cli(monkeypatch, capsys, "integration", "add", "github", "--org", "acme",
                             "--token", github_server.token, "--github-org", "acme",
                             "--base-url", github_server.base_url, "--json")
    assert code == 0 and err == ""
    added = json.loads(out)
    assert added["config"]["github_org"] == "acme" and github_server.token not in out

    code, out, _ = run_cli(monkeypatch, capsys, "integration", "test", "--org", "acme")
    assert code == 0 and "ok" in out

    code, out, err = run_cli(monkeypatch, capsys, "integration", "add", "aws", "--org", "acme",
                             "--access-key-id", "AKIAIOSFODNN7EXAMPLE", "--secret-access-key", "x" * 40,
                             "--role-arn", "arn:aws:iam::123456789012:role/Audit", "--external-id", "ext-1",
                             "--regions", "us-east-1,eu-west-1")
    assert code == 0 and "aws" in out

    code, out, _ = run_cli(monkeypatch, capsys, "integration", "list", "--org", "acme", "--json")
    rows = json.loads(out)
    assert code == 0 and sorted(r["provider"] for r in rows) == ["aws", "github"]
    assert "ext-1" not in out and github_server.token not in out


def test_integration_test_fails_with_the_reason(db, monkeypatch, capsys, github_server: GitHubServer) -> None:
    make_org(make_user(), slug="acme")
    code, _, _ = run_cli(monkeypatch, capsys, "integration", "add", "github", "--org", "acme",
                         "--token", "ghp_revoked_token_123", "--github-org", "acme",
                         "--base-url", github_server.base_url)
    assert code == 0
    code, out, err = run_cli(monkeypatch, capsys, "integration", "test", "--org", "acme")
    assert code != 0
    assert "FAIL" in out and err.count("\n") == 1 and "expired or revoked" in err
    assert "ghp_revoked_token_123" not in out + err


def test_bad_input_is_one_line_on_stderr(db, monkeypatch, capsys) -> None:
    make_org(make_user(), slug="acme")
    code, out, err = run_cli(monkeypatch, capsys, "integration", "add", "aws", "--org", "acme",
                             "--role-arn", "arn:aws:iam::123456789012:role/Audit")
    assert code != 0 and out == "" and err.startswith("error: ") and err.count("\n") == 1
    assert "access key id and secret access key" in err
    code, out, err = run_cli(monkeypatch, capsys, "integration", "list", "--org", "ghost")
    assert code != 0 and "Organization not found" in err


def test_questions_list_json_lists_every_check(db) -> None:
    """Through a real process, as scripts call it."""
    env = {**os.environ, "DATABASE_URL": db}
    proc = subprocess.run([sys.executable, "-m", "compliance_app", "questions", "list", "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert {r["key"] for r in rows} == {c.meta.key for c in all_checks()}
    github = [r for r in rows if r["provider"] == "github"]
    assert len(github) == sum(1 for c in all_checks() if c.meta.provider == "github") > 0
    assert all({"key", "title", "provider", "severity", "frameworks"} <= set(r) for r in rows)


def test_aws_without_regions_scans_all_enabled_regions(db, monkeypatch, capsys) -> None:
    make_org(make_user(), slug="acme")
    code, out, _ = run_cli(monkeypatch, capsys, "integration", "add", "aws", "--org", "acme",
                           "--access-key-id", "AKIAIOSFODNN7EXAMPLE", "--secret-access-key", "x" * 40, "--json")
    assert code == 0 and json.loads(out)["config"]["regions"] == []
    code, out, _ = run_cli(monkeypatch, capsys, "integration", "list", "--org", "acme")
    assert code == 0 and "[all enabled regions]" in out
