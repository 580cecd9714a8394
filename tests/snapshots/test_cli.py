"""The snapshot/share commands keep the DESIGN.md §6 contract (exit codes, one JSON document)."""

from __future__ import annotations

import json

import sqlalchemy as sa

from compliance_app.db import get_engine
from compliance_app.services import shares
from tests.conftest import run_cli
from tests.factories import make_org, make_user
from tests.snapshots.factory import make_completed_audit


def test_snapshot_and_share_commands(db, monkeypatch, capsys):
    monkeypatch.setenv("APP_URL", "https://compliance.example.com/")
    from compliance_app.settings import get_settings

    get_settings.cache_clear()
    org = make_org(make_user(), slug="acme")
    audit = make_completed_audit(org)

    code, out, err = run_cli(monkeypatch, capsys, "snapshot", "create", str(audit.id), "--json")
    assert code == 0 and err == ""
    created = json.loads(out)
    snapshot_id = created["id"]

    code, out, _ = run_cli(monkeypatch, capsys, "snapshot", "verify", str(snapshot_id))
    assert code == 0 and "valid" in out

    code, out, _ = run_cli(monkeypatch, capsys, "snapshot", "list", "--org", "acme", "--json")
    assert code == 0 and [s["id"] for s in json.loads(out)["snapshots"]] == [snapshot_id]

    code, out, _ = run_cli(monkeypatch, capsys, "share", "create", str(snapshot_id), "--expires-in", "7d",
                           "--label", "auditor", "--json")
    assert code == 0
    link = json.loads(out)
    assert link["url"] == f"https://compliance.example.com/share/{link['token']}"
    assert link["disclosure"] == "redact"  # the default: a redacted copy naming the original
    assert shares.resolve_public(link["token"]).original_checksum == created["checksum"]

    code, out, _ = run_cli(monkeypatch, capsys, "share", "create", str(snapshot_id), "--disclosure", "full", "--json")
    assert code == 0 and shares.resolve_public(json.loads(out)["token"]).checksum == created["checksum"]
    code, out, err = run_cli(monkeypatch, capsys, "share", "create", str(snapshot_id), "--disclosure", "all")
    assert code == 1 and out == "" and err.startswith("error: Unknown disclosure 'all'") and err.count("\n") == 1

    code, out, err = run_cli(monkeypatch, capsys, "share", "create", str(snapshot_id), "--expires-in", "7x")
    assert code == 1 and out == "" and err.startswith("error: Invalid expiry '7x'") and err.count("\n") == 1

    code, out, _ = run_cli(monkeypatch, capsys, "share", "revoke", link["id"])
    assert code == 0 and "revoked" in out

    # Tamper (trigger disabled for one statement): verify must now fail with one line on stderr.
    with get_engine().begin() as conn:
        conn.execute(sa.text("ALTER TABLE audit_snapshot DISABLE TRIGGER audit_snapshot_immutable"))
        conn.execute(sa.text("UPDATE audit_snapshot SET data = data || '{\"x\": 1}' WHERE id = :id"),
                     {"id": snapshot_id})
        conn.execute(sa.text("ALTER TABLE audit_snapshot ENABLE TRIGGER audit_snapshot_immutable"))
    code, out, err = run_cli(monkeypatch, capsys, "snapshot", "verify", str(snapshot_id))
    assert code == 1 and out == "" and "INVALID" in err and err.count("\n") == 1
    code, out, _ = run_cli(monkeypatch, capsys, "snapshot", "verify", str(snapshot_id), "--json")
    assert code == 1 and json.loads(out)["valid"] is False

    code, out, err = run_cli(monkeypatch, capsys, "snapshot", "verify", "999999")
    assert code == 1 and err == "error: Snapshot 999999 not found.\n"
