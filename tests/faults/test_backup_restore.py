"""Backup and restore, with the commands README "Backup and restore" gives:
`pg_dump` of the database and a tar of DATA_DIR (which holds the proof files and, on one
machine, the generated key), restored into a new database and a new directory.

Afterwards every row is there, every snapshot still verifies with its old checksum, every
proof file opens with its old bytes, every integration secret decrypts, and sign-in works.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel, select

from compliance_app.db import reset_engine, session_scope
from compliance_app.models import Audit, AuditStatus, Evidence, Integration, Proof, Provider, Question
from compliance_app.schema_version import require_current_schema
from compliance_app.services import accounts, audit_queue, engine, evidence_files, integrations, scans, snapshots
from compliance_app.services.crypto import decrypt_json
from compliance_app.services.keys import SECRET_KEY_FILE, ensure_database_keys
from compliance_app.settings import get_settings
from tests.dashboard.conftest import png_bytes
from tests.factories import actor_for, make_org
from tests.scans import fake_checks
from tests.support.scratch_db import empty_database

pytestmark = pytest.mark.slow

EMAIL, PASSWORD, TOKEN = "owner@example.com", "correct horse battery staple", "ghp_restoreRESTORErestore0123456789"


def _libpq(url: str) -> str:
    """pg_dump and pg_restore speak libpq URLs (postgresql://), not SQLAlchemy's +psycopg."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _installation(database_url: str, data_dir: Path) -> Iterator[None]:
    """This process acts as an installation with that database and DATA_DIR (keys from DATA_DIR)."""
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "DATA_DIR", "SECRET_KEY")}
    os.environ.update(DATABASE_URL=database_url, DATA_DIR=str(data_dir))
    os.environ.pop("SECRET_KEY", None)  # one machine: the key is generated into DATA_DIR
    reset_engine()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_engine()


def _row_counts() -> dict[str, int]:
    with session_scope() as s:
        return {t.name: s.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in SQLModel.metadata.sorted_tables}


def _build_installation() -> dict[str, object]:
    """A user, an organization with an integration, a scanned audit with a proof file and a snapshot."""
    user = accounts.create_user(EMAIL, PASSWORD, "Owner")
    org = make_org(owner=user)
    actor = actor_for(user)
    integrations.add_github_integration(actor, org.id, TOKEN, "acme")
    audit_id = scans.request_scan(actor, org.id).id
    assert audit_queue.claim_audit(audit_id, "backup-test")
    result = engine.run_audit(audit_id, "backup-test", fake_checks.CHECKS,
                              [(Provider.GITHUB, fake_checks.FakeSession())])
    assert result is not None and result.status == AuditStatus.COMPLETED
    with session_scope() as s:
        evidence_id = s.exec(select(Evidence.id).where(Evidence.audit_id == audit_id)).first()
    evidence_files.save_evidence_file(actor, evidence_id, png_bytes(), "proof.png")
    snapshot = snapshots.create_snapshot(actor, audit_id)
    return {"actor": actor, "evidence_id": evidence_id, "snapshot_id": snapshot.id}


def _proof_files(actor, evidence_ids: list[int]) -> dict[int, str]:
    found = {}
    for evidence_id in evidence_ids:
        proof = evidence_files.open_evidence_file(actor, evidence_id)
        assert proof.path.is_relative_to(get_settings().data_dir)
        found[evidence_id] = hashlib.sha256(proof.path.read_bytes()).hexdigest()
    return found


def _secrets() -> dict[str, dict]:
    with session_scope() as s:
        return {str(i.id): decrypt_json(i.secret_encrypted) for i in s.exec(select(Integration)).all()}


def _checksums(actor, ids: list[int]) -> dict[int, str]:
    results = [snapshots.verify_snapshot(actor, i) for i in ids]
    assert all(r.valid for r in results)
    return {r.snapshot_id: r.stored for r in results}


def test_a_backup_restored_into_a_new_database_and_directory_is_whole(pg_url: str, tmp_path: Path) -> None:
    original_dir, backup, restored_dir = tmp_path / "data", tmp_path / "backup", tmp_path / "restored"
    backup.mkdir()
    with _installation(pg_url, original_dir):
        world = _build_installation()
        actor = world["actor"]
        with session_scope() as s:
            proof_ids = list(s.exec(  # evidence rows whose check and resource have a current proof
                select(Evidence.id).join(Question, Question.id == Evidence.question_id)
                .join(Audit, Audit.id == Evidence.audit_id)
                .join(Proof, (Proof.organization_id == Audit.organization_id) & (Proof.question_key == Question.key)
                      & (Proof.resource_id == Evidence.resource_id) & Proof.replaced_at.is_(None))
            ).all())
        before = {"rows": _row_counts(), "proofs": _proof_files(actor, proof_ids), "secrets": _secrets(),
                  "snapshots": _checksums(actor, [world["snapshot_id"]])}
        assert (original_dir / SECRET_KEY_FILE).exists() and before["secrets"] and before["proofs"]

        # the backup: the two commands of README "Backup and restore"
        subprocess.run(["pg_dump", "--format=custom", f"--file={backup / 'compliance.dump'}", _libpq(pg_url)],
                       check=True, timeout=60)
        subprocess.run(["tar", "-C", str(original_dir), "-czf", str(backup / "data.tar.gz"), "."], check=True,
                       timeout=60)

    with empty_database("ca_restore") as restored_url:
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={_libpq(restored_url)}",
                        str(backup / "compliance.dump")], check=True, timeout=60)
        restored_dir.mkdir()
        subprocess.run(["tar", "-C", str(restored_dir), "-xpzf", str(backup / "data.tar.gz")], check=True,
                       timeout=60)

        with _installation(restored_url, restored_dir):
            require_current_schema()
            ensure_database_keys()  # the restored key is the one the restored secrets are under
            assert _row_counts() == before["rows"]
            assert _checksums(actor, [world["snapshot_id"]]) == before["snapshots"]
            assert _proof_files(actor, proof_ids) == before["proofs"]
            assert _secrets() == before["secrets"]
            assert _secrets()[next(iter(before["secrets"]))]["token"] == TOKEN
            user, token = accounts.authenticate(EMAIL, PASSWORD, "127.0.0.1")
            assert user.email == EMAIL and accounts.resolve_session(token).id == user.id
