"""`scan`, `audit show|list` and `risk …` keep the DESIGN.md §6 contract."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from compliance_app.commands import scans as scan_commands
from compliance_app.settings import get_settings
from tests.conftest import run_cli
from tests.factories import make_org
from tests.scans.fake_checks import EVIDENCE_PER_AUDIT


@pytest.fixture
def fake_engine(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGINE_OVERRIDE_MODULE", "tests.scans.fake_checks")
    monkeypatch.setattr(scan_commands, "CLAIM_GRACE_SECONDS", 0.2)
    get_settings.cache_clear()
    make_org(slug="acme")
    yield
    get_settings.cache_clear()


def test_scan_wait_runs_the_audit_when_no_worker_is_there(fake_engine, monkeypatch, capsys) -> None:
    code, out, err = run_cli(monkeypatch, capsys, "scan", "--org", "acme", "--wait", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["status"] == "COMPLETED" and summary["score"] == 33  # per check (per resource: 67)
    # `counts` keeps its meaning (evidence rows); `checks` and `resources` beside it (DESIGN.md §4)
    assert summary["counts"] == {"PASS": 3, "FAIL": 1, "RISK_ACCEPTED": 0, "ERROR": 2, "NOT_APPLICABLE": 0}
    assert summary["checks"] == {"PASS": 1, "FAIL": 1, "RISK_ACCEPTED": 0, "ERROR": 2, "NOT_APPLICABLE": 0}
    assert summary["resources"] == {"total": 6, "passing": 3, "failing": 1, "error": 2, "not_applicable": 0}
    assert summary["scored"] == "scored 2 of 4 checks (2 could not run)"
    assert "running it here" in err

    code, out, _ = run_cli(monkeypatch, capsys, "audit", "show", summary["audit_id"], "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["audit"]["audit_id"] == summary["audit_id"] and len(shown["evidence"]) == EVIDENCE_PER_AUDIT
    failing = shown["evidence"][0]
    assert (failing["question_key"], failing["status"], failing["resource_id"]) == (
        "fake_one_fails", "FAIL", "repo-a")
    assert failing["raw_data"] == {"repo": "repo-a", "on": False}
    assert failing["remediation_steps"] == "Fix fake_one_fails."

    code, out, _ = run_cli(monkeypatch, capsys, "audit", "show", summary["audit_id"])
    assert code == 0 and "score 33/100, scored 2 of 4 checks (2 could not run)" in out
    assert "fix: Fix fake_one_fails." in out


def test_scan_without_wait_enqueues_once(fake_engine, monkeypatch, capsys) -> None:
    first = json.loads(run_cli(monkeypatch, capsys, "scan", "--org", "acme", "--json")[1])
    second = json.loads(run_cli(monkeypatch, capsys, "scan", "--org", "acme", "--json")[1])
    assert first["audit_id"] == second["audit_id"] and first["status"] == "PENDING"
    code, out, _ = run_cli(monkeypatch, capsys, "audit", "list", "--org", "acme", "--json")
    listed = json.loads(out)
    assert code == 0 and listed["total"] == 1 and listed["audits"][0]["audit_id"] == first["audit_id"]
    code, out, _ = run_cli(monkeypatch, capsys, "audit", "list", "--org", "acme")
    assert code == 0 and first["audit_id"] in out and "PENDING" in out


@pytest.mark.parametrize(
    "args",
    [("scan", "--org", "nope"), ("audit", "show", "not-an-id"), ("audit", "list", "--org", "nope", "--json")],
)
def test_failures_are_one_line_on_stderr_and_nothing_on_stdout(fake_engine, monkeypatch, capsys, args) -> None:
    code, out, err = run_cli(monkeypatch, capsys, *args)
    assert code != 0 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and "not found" in err


def test_risk_accept_list_revoke(fake_engine, monkeypatch, capsys) -> None:
    run_cli(monkeypatch, capsys, "scan", "--org", "acme", "--wait")
    expires = (date.today() + timedelta(days=30)).isoformat()
    code, out, err = run_cli(monkeypatch, capsys, "risk", "accept", "--org", "acme", "--question",
                             "fake_one_fails", "--reason", "Archived repo", "--expires", expires, "--json")
    assert code == 0, err
    exception_id = json.loads(out)["id"]
    code, out, _ = run_cli(monkeypatch, capsys, "risk", "list", "--org", "acme", "--json")
    assert [(r["id"], r["status"]) for r in json.loads(out)] == [(exception_id, "active")]
    assert run_cli(monkeypatch, capsys, "risk", "revoke", exception_id)[0] == 0
    code, out, err = run_cli(monkeypatch, capsys, "risk", "accept", "--org", "acme", "--question",
                             "fake_one_fails", "--reason", "x", "--expires", "2020-01-01")
    assert code == 1 and out == "" and err == "error: The expiry date must be in the future.\n"
