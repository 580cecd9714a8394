"""Health endpoint, configuration errors and the foundation CLI commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from starlette.testclient import TestClient

from compliance_app.api import create_api
from compliance_app.db import reset_engine
from tests.conftest import PROJECT_ROOT


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "compliance_app", *args],
        cwd=PROJECT_ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=120,
    )


def test_health_ok(db: str) -> None:
    response = TestClient(create_api()).get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_503_when_database_unreachable(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    reset_engine()
    try:
        response = TestClient(create_api()).get("/api/health")
    finally:
        monkeypatch.setenv("DATABASE_URL", db)
        reset_engine()
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "database unreachable"}
    for detail in ("127.0.0.1", "postgres", "nowhere", "connection", "port"):
        assert detail not in response.text  # no host, user, database name or driver error


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "DATABASE_URL is malformed"),
        ("mysql://x@127.0.0.1/db", "unsupported database 'mysql'"),
        ("postgresql://postgres@127.0.0.1:1/nowhere", "cannot reach database"),
    ],
)
def test_bad_database_url_is_one_clear_line(url: str, expected: str) -> None:
    result = _cli("db", "current", env={"DATABASE_URL": url})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_cli_help_lists_commands() -> None:
    result = _cli("--help")
    assert result.returncode == 0
    for name in ("db", "seed-demo", "serve"):
        assert name in result.stdout


def test_db_current_and_seed_demo_is_idempotent(db: str) -> None:
    current = _cli("db", "current")
    assert current.returncode == 0 and "up to date" in current.stdout
    first = _cli("seed-demo", "--json")
    second = _cli("seed-demo", "--json")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert json.loads(first.stdout)["created"] is True
    assert json.loads(second.stdout)["created"] is False

    from sqlmodel import func, select

    from compliance_app.db import session_scope
    from compliance_app.models import Audit, Organization, ScanHistory, User

    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(Organization)).one() == 1
        assert s.exec(select(func.count()).select_from(User)).one() == 1
        assert s.exec(select(func.count()).select_from(Audit)).one() == 1
        assert s.exec(select(func.count()).select_from(ScanHistory)).one() == 31


def test_cli_usage_error_is_one_line_and_non_zero() -> None:
    result = _cli("no-such-command")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["error: No such command 'no-such-command'."]
