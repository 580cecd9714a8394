"""Every export says, per evidence row, which proof stands behind it: the stored file's name, the
evidence date the uploader gave, its expiry and state, the SHA-256 recorded at upload and whether
the file is still on the server; never the file's bytes. Rows without proof say nothing."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from compliance_app.models.types import utcnow
from compliance_app.services import audit_export, proof
from compliance_app.services.evidence_files import save_evidence_file
from tests.dashboard.conftest import png_bytes
from tests.exports.test_ocsf import _problems
from tests.factories import actor_for
from tests.scans.helpers import evidence_of

BUCKETS, ROOT = "s3_bucket_public_access", "iam_root_mfa_enabled"


@dataclass(frozen=True)
class Uploaded:
    """What the test uploaded for one evidence row: the bytes and the evidence date given."""

    evidence_id: int
    check_key: str
    data: bytes
    evidence_date: date
    file: str


@pytest.fixture
def proofs(scanned: tuple, data_dir: Path) -> dict[str, Uploaded]:
    """Stale proof on the public bucket, expiring proof on the root account (its file then deleted
    from disk), and a private-bucket proof replaced by a newer upload. The formula check has none."""
    _org, owner, audit = scanned
    rows = evidence_of(audit.id)
    public = next((k, e) for k, res, e in rows if k == BUCKETS and res.endswith("public-reports"))
    private = next((k, e) for k, res, e in rows if k == BUCKETS and res.endswith("private-reports"))
    root = next((k, e) for k, _res, e in rows if k == ROOT)
    today = utcnow().date()
    plan = {"public": (public, today - timedelta(days=400), (40, 30)),
            "root": (root, today - timedelta(days=350), (41, 30)),
            "private-old": (private, today - timedelta(days=10), (42, 30)),
            "private": (private, today, (43, 30))}  # fmt: skip
    done = {}
    for name, ((key, evidence), when, size) in plan.items():
        data = png_bytes(size)
        stored = save_evidence_file(actor_for(owner), evidence.id, data, "secret-name.png", when)
        done[name] = Uploaded(int(evidence.id), key, data, when, stored.name)
    (data_dir / "evidence" / done["root"].file).unlink()
    return done


def _expected(up: Uploaded, state: str, missing: bool) -> dict[str, Any]:
    expiry = proof.expires_on(up.evidence_date, proof.valid_days_for(up.check_key))
    return {"file": up.file, "evidence_date": up.evidence_date.isoformat(), "expires_on": expiry.isoformat(),
            "state": state, "sha256": hashlib.sha256(up.data).hexdigest(), "file_missing": missing}


def _export(scanned: tuple, fmt: str) -> str:
    _org, owner, audit = scanned
    return audit_export.export_audit(actor_for(owner), audit.id, fmt).body


def test_json_gives_each_rows_current_proof_with_its_date_state_and_hash(scanned: tuple, proofs: dict) -> None:
    doc = json.loads(_export(scanned, "json"))
    by_id = {e["id"]: e["proof"] for e in doc["evidence"]}
    assert by_id[proofs["public"].evidence_id] == _expected(proofs["public"], "stale", False)
    assert by_id[proofs["root"].evidence_id] == _expected(proofs["root"], "expiring", True)
    assert by_id[proofs["private"].evidence_id] == _expected(proofs["private"], "current", False)  # the newer one
    assert sum(p is not None for p in by_id.values()) == 3
    generated = datetime.fromisoformat(doc["export"]["generated_at"].replace("Z", "+00:00"))
    assert abs(utcnow() - generated) < timedelta(minutes=5)  # the day the states are as of


def test_csv_has_the_proof_columns_filled_only_for_rows_with_proof(scanned: tuple, proofs: dict) -> None:
    rows = {int(r["evidence_id"]): r for r in csv.DictReader(io.StringIO(_export(scanned, "csv")))}
    root = rows.pop(proofs["root"].evidence_id)
    expected = _expected(proofs["root"], "expiring", True)
    assert (root["proof_file"], root["proof_evidence_date"], root["proof_expires_on"], root["proof_state"],
            root["proof_sha256"], root["proof_file_missing"]) == (
        expected["file"], expected["evidence_date"], expected["expires_on"], "expiring", expected["sha256"], "true")
    assert rows.pop(proofs["public"].evidence_id)["proof_state"] == "stale"
    assert rows.pop(proofs["private"].evidence_id)["proof_file_missing"] == "false"
    proof_columns = [c for c in audit_export.CSV_COLUMNS if c.startswith("proof_")]
    assert len(proof_columns) == 6 and all(r[c] == "" for r in rows.values() for c in proof_columns)


def test_ocsf_carries_the_proof_under_unmapped_and_stays_valid(scanned: tuple, proofs: dict) -> None:
    events = json.loads(_export(scanned, "ocsf"))
    uid = f"{scanned[2].id}/evidence/{proofs['public'].evidence_id}"
    event = next(e for e in events if e["finding_info"]["uid"] == uid)
    assert event["unmapped"]["proof"] == _expected(proofs["public"], "stale", False)
    assert sum("proof" in e["unmapped"] for e in events) == 3
    assert not [_problems(e) for e in events if _problems(e)]


def test_no_export_carries_the_files_bytes_or_the_uploaders_file_name(scanned: tuple, proofs: dict) -> None:
    for fmt in audit_export.FORMATS:
        text = _export(scanned, fmt)
        assert "secret-name" not in text and str(proof.evidence_dir()) not in text, fmt
        for up in proofs.values():
            assert base64.b64encode(up.data).decode()[:40] not in text and up.data.hex()[:80] not in text, fmt
