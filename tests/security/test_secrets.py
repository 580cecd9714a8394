"""Integration secrets stay secret: encrypted at rest, and absent from every output.

A GitHub token, an AWS access key pair and an AWS role external id, all recognizable, are
stored through the service; then everything that produces text runs against endpoints
that refuse them (the local GitHub stand-in answers 401 to the wrong token and to every
AWS call), so error paths — the ones most likely to echo a credential — all run: the
connection tests, a full catalog scan, the CLI, a snapshot and its public JSON. Every log
record (DEBUG, root logger), every CLI output, every table row and the public JSON are
then searched for the secrets.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from compliance_app.api import create_api
from compliance_app.db import session_scope
from compliance_app.models import AuditStatus, Evidence, EvidenceStatus, Integration
from compliance_app.services import audit_queue, engine, integrations, scans, shares, snapshots
from compliance_app.services.authz import Actor
from compliance_app.services.crypto import decrypt_json
from tests.conftest import run_cli
from tests.factories import actor_for, make_org, make_user
from tests.scans.helpers import WORKER, load_audit
from tests.security.conftest import table_dump
from tests.support.github_server import GitHubServer

GITHUB_TOKEN = "ghp_QuokkaCanaryToken7f3a9c1e5b"
AWS_KEY_ID = "AKIAQUOKKACANARY7F3A"
AWS_SECRET = "QuokkaCanary/Secret+AccessKey7f3a9c1e5b2d4"
EXTERNAL_ID = "quokka-external-canary-7f3a"
SECRETS = {"github token": GITHUB_TOKEN, "aws secret key": AWS_SECRET, "aws key id": AWS_KEY_ID,
           "external id": EXTERNAL_ID}


def cli_output(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Everything a CLI command prints, whatever its exit code."""
    _code, out, err = run_cli(monkeypatch, capsys, *args)
    return out + "\n" + err


def leaks(where: str, text: str) -> list[str]:
    return [f"{name} in {where}" for name, value in SECRETS.items() if value in text]


#: The one tolerated appearance: botocore's DEBUG wire log prints the Authorization header,
#: whose SigV4 `Credential=` names the access key ID (an identifier AWS sends in clear with
#: every request; never the secret key). The app never logs botocore at DEBUG (the worker
#: runs at INFO); everything else, at every level, must be clean.
WIRE_LOG_ALLOWANCE = ("botocore.", logging.DEBUG, {"aws key id"})


def log_leaks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Per record: its message, raw args and traceback, so nothing formatted away is missed."""
    prefix, level, allowed = WIRE_LOG_ALLOWANCE
    found = []
    for record in caplog.records:
        text = f"{record.getMessage()} {record.args!r}"
        if record.exc_info and record.exc_info[1] is not None:
            text += logging.Formatter().formatException(record.exc_info)
        names = {leak.split(" in ")[0] for leak in leaks(record.name, text)}
        if record.name.startswith(prefix) and record.levelno <= level:
            names -= allowed
        found += [f"{name} in log {record.name}:{record.levelname}" for name in sorted(names)]
    return found


def test_secrets_are_encrypted_and_never_leave_through_any_output(
    db: str, github_server: GitHubServer, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    caplog.set_level(logging.DEBUG)  # the root logger: every library's records too
    owner = make_user(email="owner@quokka.example")
    org = make_org(owner, slug="quokka-secrets", name="Quokka Secrets")
    admin = actor_for(owner)
    refusing = github_server.base_url  # answers 401 to the wrong token and to anything AWS sends
    integrations.add_github_integration(admin, org.id, GITHUB_TOKEN, github_server.org_login, refusing)
    integrations.add_aws_integration(admin, org.id, AWS_KEY_ID, AWS_SECRET, regions="us-east-1",
                                     endpoint_url=refusing, name="AWS keys")
    integrations.add_aws_integration(admin, org.id, AWS_KEY_ID, AWS_SECRET,
                                     role_arn="arn:aws:iam::123456789012:role/Audit",
                                     external_id=EXTERNAL_ID, regions="us-east-1", endpoint_url=refusing,
                                     name="AWS role")

    # At rest: only ciphertext, which decrypts to exactly what was given.
    with session_scope() as s:
        stored = {i.name: i for i in s.exec(select(Integration)).all()}
    for row in stored.values():
        assert row.secret_encrypted and not leaks("secret_encrypted", row.secret_encrypted)
        assert not leaks("config", json.dumps(row.config)) and not leaks("secret_hint", row.secret_hint)
    github = next(r for r in stored.values() if r.provider == "github")
    assert decrypt_json(github.secret_encrypted) == {"token": GITHUB_TOKEN}
    assert decrypt_json(stored["AWS keys"].secret_encrypted) == {"access_key_id": AWS_KEY_ID,
                                                                  "secret_access_key": AWS_SECRET}
    assert decrypt_json(stored["AWS role"].secret_encrypted) == {"access_key_id": AWS_KEY_ID,
                                                                  "secret_access_key": AWS_SECRET,
                                                                  "external_id": EXTERNAL_ID}

    # Error paths: connection tests, then a full catalog scan with every credential refused.
    results = integrations.test_all_integrations(admin, org.id)
    assert results and not any(result.ok for _row, result in results)
    audit = scans.request_scan(Actor.system("test"), org.id)
    assert audit_queue.claim_audit(audit.id, WORKER)
    engine.run_audit(audit.id, WORKER)
    audit = load_audit(audit.id)
    assert audit.status == AuditStatus.COMPLETED, audit.error
    with session_scope() as s:
        statuses = {e.status for e in s.exec(select(Evidence).where(Evidence.audit_id == audit.id)).all()}
    assert EvidenceStatus.ERROR in statuses, "the scan was meant to produce errors"
    snapshot = snapshots.create_snapshot(Actor.system("test"), audit.id)
    _link, token = shares.create_link(Actor.system("test"), snapshot.id)
    public = TestClient(create_api()).get(f"/api/public/snapshots/{token}")
    assert public.status_code == 200

    outputs = {
        "integration list": cli_output(monkeypatch, capsys, "integration", "list", "--org", org.slug, "--json"),
        "integration test": cli_output(monkeypatch, capsys, "integration", "test", "--org", org.slug),
        "audit show": cli_output(monkeypatch, capsys, "audit", "show", str(audit.id), "--json"),
        "audit show (text)": cli_output(monkeypatch, capsys, "audit", "show", str(audit.id)),
        "public snapshot JSON": public.text,
        "connection test results": repr(results),
        "database": table_dump(),
    }
    assert "github" in outputs["integration list"] and "ERROR" in outputs["audit show"], outputs["audit show"][:500]
    assert caplog.records, "nothing was logged: the log capture is not working"
    found = [leak for where, text in outputs.items() for leak in leaks(where, text)] + log_leaks(caplog)
    assert not found, found
