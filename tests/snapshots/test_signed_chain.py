"""Signed, chained snapshots and the offline bundle.

Every kind of tampering (data, checksum, previous_checksum, payload, signature, a
backdated created_at, a deleted middle snapshot without tombstone, a deleted newest
snapshot) is made once in the database, where `snapshot verify` must name it, and once in
the exported bundles, where the script of docs/verify.md must refuse them.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

from compliance_app.db import get_engine, session_scope
from compliance_app.models import AuditSnapshot, Organization
from compliance_app.models.snapshot import SnapshotTombstone
from compliance_app.services import shares, signing, snapshot_bundles, snapshot_signing, snapshots
from compliance_app.services.authz import Actor
from compliance_app.services.errors import ValidationError
from compliance_app.services.keys import KeyConfigError
from compliance_app.settings import get_settings
from tests.factories import actor_for, make_org, make_user
from tests.snapshots.factory import add_proof, make_completed_audit

DOCS = Path(__file__).resolve().parents[2] / "docs" / "verify.md"
REPORT_DIR = Path("/tmp/report_signing")


def _chain(count: int = 3):
    owner = make_user(name="Ada Admin")
    org = make_org(owner, name="Acme Corp")
    audit = make_completed_audit(org, approver=owner)
    actor = actor_for(owner)
    return actor, org, [snapshots.create_snapshot(actor, audit.id) for _ in range(count)]


def _sql(statement: str, **params: Any) -> None:
    """One committed change with the immutability trigger off (what a database intruder does)."""
    with get_engine().begin() as conn:
        conn.execute(sa.text("ALTER TABLE audit_snapshot DISABLE TRIGGER audit_snapshot_immutable"))
        conn.execute(sa.text(statement), params)
        conn.execute(sa.text("ALTER TABLE audit_snapshot ENABLE TRIGGER audit_snapshot_immutable"))


def _script(tmp_path: Path) -> Path:
    block = re.search(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    assert block, "docs/verify.md has no python block"
    path = tmp_path / "verify_bundles.py"
    path.write_text(block.group(1))
    return path


def _run_script(tmp_path: Path, bundles: list[dict[str, Any]], *extra: str) -> subprocess.CompletedProcess[str]:
    files = []
    for i, bundle in enumerate(bundles):
        path = tmp_path / f"bundle-{i}.json"
        path.write_text(json.dumps(bundle, ensure_ascii=False))
        files.append(str(path))
    return subprocess.run([sys.executable, str(_script(tmp_path)), *extra, *files],
                          capture_output=True, text=True, timeout=60)


def _payload(envelope: dict[str, Any]) -> dict[str, Any]:
    return json.loads(base64.b64decode(envelope["payload"]))


def _keyid(pem: str) -> str:
    key = load_pem_public_key(pem.encode())
    return hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()


def test_pae_matches_the_dsse_specification_vector():
    # github.com/secure-systems-lab/dsse protocol.md, "Test vectors".
    assert signing.pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world")
    assert signing.pae("t", "é".encode()) == "DSSEv1 1 t 2 é".encode()  # byte lengths, not characters


def test_each_snapshot_is_a_signed_link_of_its_organizations_chain(db):
    actor, org, made = _chain()
    rows = [snapshots.get_snapshot(actor, m.id) for m in made]
    assert [r.sequence for r in rows] == [1, 2, 3]
    assert [r.previous_checksum for r in rows] == [None, rows[0].checksum, rows[1].checksum]
    assert [r.data["chain"] for r in rows] == [{"sequence": r.sequence, "previous_checksum": r.previous_checksum}
                                               for r in rows]
    assert rows[2].data["format"] == "compliance_app.snapshot/3"
    envelope = rows[1].envelope
    assert envelope["payloadType"] == "application/vnd.compliance-app.snapshot+json"
    payload_raw = base64.b64decode(envelope["payload"])
    assert payload_raw == snapshots.canonical_bytes(json.loads(payload_raw))  # §5's encoding
    assert json.loads(payload_raw) == {
        "checksum": rows[1].checksum, "redacted_checksum": None, "previous_checksum": rows[0].checksum,
        "sequence": 2, "snapshot_id": rows[1].id, "organization_id": str(org.id), "organization_slug": org.slug,
        "created_at": rows[1].created_at.isoformat(),
    }
    # The signature is Ed25519 over DSSE's PAE of the raw payload, under the published key.
    [published] = signing.list_public_keys()
    [sig] = envelope["signatures"]
    assert sig["keyid"] == published.keyid == _keyid(published.public_key)
    load_pem_public_key(published.public_key.encode()).verify(
        base64.b64decode(sig["sig"]), signing.pae(envelope["payloadType"], payload_raw))
    result = snapshots.verify_snapshot(actor, made[2].id)
    assert (result.valid, result.signature, result.sequence, result.problems) == (True, "valid", 3, ())
    overview = snapshot_signing.chain_overview(actor, org.id, [m.id for m in made])
    assert overview.head == snapshot_signing.ChainHead(3, rows[2].checksum)
    assert overview.labels[made[2].id] == (f"signed by this installation (key {published.keyid[:12]}…), "
                                           f"sequence 3, chained to snapshot #{made[1].id}")
    assert "first in this organization's chain" in overview.labels[made[0].id]


def test_proof_files_are_part_of_what_is_signed(db, data_dir):
    owner = make_user()
    org = make_org(owner)
    audit = make_completed_audit(org)
    proof = b"\x89PNG\r\n\x1a\n proof bytes"
    (data_dir / "evidence").mkdir(parents=True)
    (data_dir / "evidence" / "ab12.png").write_bytes(proof)
    with session_scope() as s:
        add_proof(s, org, "github_org_2fa_required", "acme-org", "ab12.png")
    data = snapshots.get_snapshot(actor_for(owner), snapshots.create_snapshot(actor_for(owner), audit.id).id).data
    by_resource = {e["resource_id"]: e for e in data["evidence"]}
    assert by_resource["acme-org"]["screenshot_sha256"] == hashlib.sha256(proof).hexdigest()
    # A file that is not in storage is not vouched for.
    assert by_resource["arn:aws:s3:::logs-bucket"]["screenshot"] == "proof.png"
    assert by_resource["arn:aws:s3:::logs-bucket"]["screenshot_sha256"] is None


def test_concurrent_creates_never_fork_the_chain(db):
    owner = make_user()
    org = make_org(owner)
    audit = make_completed_audit(org)
    with ThreadPoolExecutor(max_workers=4) as pool:
        made = list(pool.map(lambda _i: snapshots.create_snapshot(Actor.system(), audit.id), range(6)))
    rows = sorted((snapshots.get_snapshot(actor_for(owner), m.id) for m in made), key=lambda r: r.sequence)
    assert [r.sequence for r in rows] == [1, 2, 3, 4, 5, 6]
    assert all(b.previous_checksum == a.checksum for a, b in itertools.pairwise(rows))
    assert snapshots.verify_snapshot(actor_for(owner), rows[-1].id).valid


def _flip_signature(envelope: dict[str, Any]) -> dict[str, Any]:
    sig = bytearray(base64.b64decode(envelope["signatures"][0]["sig"]))
    sig[0] ^= 1
    return {**envelope, "signatures": [{**envelope["signatures"][0], "sig": base64.b64encode(sig).decode()}]}


def _swap_payload(envelope: dict[str, Any], **changes: Any) -> dict[str, Any]:
    payload = {**_payload(envelope), **changes}
    return {**envelope, "payload": base64.b64encode(snapshots.canonical_bytes(payload)).decode()}


#: name -> (SQL run against snapshot 2 or the chain, what `snapshot verify` must say)
DATABASE_TAMPERING: dict[str, tuple[str, str]] = {
    "data": ("UPDATE audit_snapshot SET data = jsonb_set(data, '{audit,score}', '100') WHERE id = :b",
             "the data's checksum is"),
    "checksum": ("UPDATE audit_snapshot SET checksum = :fake WHERE id = :b", "the signed checksum is"),
    "previous_checksum": ("UPDATE audit_snapshot SET previous_checksum = :fake WHERE id = :b",
                          "the signed previous_checksum is"),
    "payload": ("UPDATE audit_snapshot SET envelope = CAST(:swapped AS jsonb) WHERE id = :b",
                "no signature verifies"),
    "signature": ("UPDATE audit_snapshot SET envelope = CAST(:flipped AS jsonb) WHERE id = :b",
                  "no signature verifies"),
    "backdated created_at": ("UPDATE audit_snapshot SET created_at = created_at - interval '30 days' WHERE id = :b",
                             "differs from the signed time"),
    "deleted middle snapshot": ("DELETE FROM audit_snapshot WHERE id = :b", "is missing and has no tombstone"),
    "deleted newest snapshot": ("DELETE FROM audit_snapshot WHERE id = :c", "the newest snapshot was deleted"),
}


@pytest.mark.parametrize("tampering", list(DATABASE_TAMPERING))
def test_the_product_detects_each_tampering(db, tampering, monkeypatch, capsys):
    from tests.conftest import run_cli

    actor, _org, (a, b, c) = _chain()
    assert snapshots.verify_snapshot(actor, a.id).valid
    envelope = snapshots.get_snapshot(actor, b.id).envelope
    statement, message = DATABASE_TAMPERING[tampering]
    _sql(statement, b=b.id, c=c.id, fake="f" * 64,
         swapped=json.dumps(_swap_payload(envelope, checksum="f" * 64)),
         flipped=json.dumps(_flip_signature(envelope)))
    target = a.id if tampering == "deleted newest snapshot" else (c.id if "deleted" in tampering else b.id)
    result = snapshots.verify_snapshot(actor, target)
    assert not result.valid
    assert any(message in p for p in result.problems), result.problems
    monkeypatch.setenv("DATABASE_URL", db)
    code, out, err = run_cli(monkeypatch, capsys, "snapshot", "verify", str(target))
    assert code == 1 and "INVALID" in err and message in err and out == "" and err.count("\n") == 1


def _bundles(actor: Actor, ids: list[int]) -> list[dict[str, Any]]:
    return [snapshot_bundles.export_bundle(actor, i).content for i in ids]


def _tamper_bundles(name: str, bundles: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """(bundles as an attacker hands them over, extra script arguments)."""
    a, b, c = (json.loads(json.dumps(x)) for x in bundles)
    head = ["--head", c["checksum"]]
    if name == "data":
        b["snapshot"]["audit"]["score"] = 100
    elif name == "checksum":
        b["snapshot"]["audit"]["score"] = 100
        b["checksum"] = snapshots.compute_checksum(b["snapshot"])
    elif name == "previous_checksum":
        b["previous_checksum"] = "f" * 64
    elif name == "payload":
        b["snapshot"]["audit"]["score"] = 100
        b["checksum"] = snapshots.compute_checksum(b["snapshot"])
        b["envelope"] = _swap_payload(b["envelope"], checksum=b["checksum"])
    elif name == "signature":
        b["envelope"] = _flip_signature(b["envelope"])
    elif name == "backdated created_at":
        b["envelope"] = _swap_payload(b["envelope"], created_at="2020-01-01T00:00:00+00:00")
    elif name == "deleted middle snapshot":
        return [a, c], head
    elif name == "deleted newest snapshot":
        return [a, b], head
    return [a, b, c], head


@pytest.mark.parametrize("tampering", list(DATABASE_TAMPERING))
def test_the_docs_script_detects_each_tampering(db, tmp_path, tampering):
    actor, _org, made = _chain()
    bundles = _bundles(actor, [m.id for m in made])
    keyid = signing.list_public_keys()[0].keyid
    clean = _run_script(tmp_path, bundles, "--trust", keyid, "--head", bundles[-1]["checksum"])
    assert clean.returncode == 0, clean.stderr
    tampered, extra = _tamper_bundles(tampering, bundles)
    result = _run_script(tmp_path, tampered, "--trust", keyid, *extra)
    assert result.returncode == 1 and result.stderr.startswith("FAIL: "), (result.stdout, result.stderr)


def test_the_docs_script_refuses_a_key_it_does_not_trust_and_bundles_exported_from_tampered_rows(db, tmp_path):
    actor, _org, made = _chain()
    bundles = _bundles(actor, [m.id for m in made])
    assert _run_script(tmp_path, bundles, "--trust", "0" * 64).stderr.startswith("FAIL: ")
    # The product exports what it holds; a row changed in the database fails offline too.
    _sql("UPDATE audit_snapshot SET data = jsonb_set(data, '{audit,score}', '100') WHERE id = :b", b=made[1].id)
    result = _run_script(tmp_path, _bundles(actor, [m.id for m in made]))
    assert result.returncode == 1 and "does not match its checksum" in result.stderr


def test_bundle_keys_cli_export_and_the_closing_note(db, tmp_path, monkeypatch, capsys):
    from tests.conftest import run_cli

    _actor, org, made = _chain()
    paths = []
    for m in made:
        out = tmp_path / f"{org.slug}-{m.id}.bundle.json"
        code, stdout, err = run_cli(monkeypatch, capsys, "snapshot", "export", str(m.id), "--out", str(out))
        assert code == 0, err
        assert f"sha256 {m.checksum}" in stdout
        paths.append(out)
    bundle = json.loads(paths[1].read_text())
    assert list(bundle) == ["snapshot", "checksum", "previous_checksum", "envelope", "public_key"]
    assert bundle["checksum"] == made[1].checksum and bundle["previous_checksum"] == made[0].checksum
    assert set(bundle["envelope"]) == {"payloadType", "payload", "signatures"}
    assert bundle["public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    code, stdout, _ = run_cli(monkeypatch, capsys, "snapshot", "verify", str(made[2].id))
    assert code == 0 and "sequence 3, chain intact" in stdout
    keyid = _keyid(bundle["public_key"])
    script = _script(tmp_path)
    result = subprocess.run([sys.executable, str(script), "--trust", keyid, "--head", made[2].checksum,
                             *map(str, paths)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"chain ok: sequence 1 to 3, head {made[2].checksum}"
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / "bundle.json").write_text(paths[1].read_text())
    (REPORT_DIR / "script_output.txt").write_text(
        f"$ python verify_bundles.py --trust {keyid} --head {made[2].checksum} {' '.join(p.name for p in paths)}\n"
        + result.stdout)


def test_retention_keeps_a_tombstone_so_later_links_still_verify(db):
    actor, org, (a, b, c) = _chain()
    snapshots.set_pinned(actor, a.id, True)
    snapshots.set_pinned(actor, c.id, True)
    assert snapshots.apply_retention() == 0
    with session_scope() as s:
        s.get(Organization, org.id).snapshot_retention_days = 0  # every unpinned snapshot has expired
    assert snapshots.apply_retention() == 1
    with session_scope() as s:
        stone = s.get(SnapshotTombstone, b.id)
        assert (stone.sequence, stone.checksum, stone.previous_checksum) == (2, b.checksum, a.checksum)
    result = snapshots.verify_snapshot(actor, c.id)
    assert result.valid, result.problems
    labels = snapshot_signing.chain_overview(actor, org.id, [c.id]).labels
    assert labels[c.id].endswith(f"chained to snapshot #{b.id} (expired, tombstone kept)")


def test_a_tombstone_forged_for_a_recent_snapshot_is_named(db):
    """Whoever can delete a row can copy its envelope into a tombstone; retention only deletes
    snapshots older than the retention, and the signed time tells."""
    actor, _org, (_a, b, c) = _chain()
    with session_scope() as s:
        row = s.get(AuditSnapshot, b.id)
        s.add(SnapshotTombstone(snapshot_id=row.id, organization_id=row.organization_id, sequence=row.sequence,
                                checksum=row.checksum, previous_checksum=row.previous_checksum,
                                envelope=row.envelope, created_at=row.created_at))
    _sql("DELETE FROM audit_snapshot WHERE id = :b", b=b.id)
    result = snapshots.verify_snapshot(actor, c.id)
    assert not result.valid
    assert any("younger than the 90-day retention when deleted" in p for p in result.problems), result.problems


def test_a_snapshot_taken_before_signing_is_shown_unsigned_and_the_chain_starts_after_it(db):
    owner = make_user()
    org = make_org(owner)
    audit = make_completed_audit(org)
    actor = actor_for(owner)
    data = {"format": "compliance_app.snapshot/1", "audit": {"id": str(audit.id)}, "evidence": []}
    with session_scope() as s:
        old = AuditSnapshot(audit_id=audit.id, organization_id=org.id, data=data,
                            checksum=snapshots.compute_checksum(data))
        s.add(old)
        s.flush()
        old_id = old.id
    result = snapshots.verify_snapshot(actor, old_id)
    assert (result.valid, result.signature, result.problems) == (True, "unsigned", ())
    first = snapshots.create_snapshot(actor, audit.id)
    assert snapshots.get_snapshot(actor, first.id).sequence == 1
    labels = snapshot_signing.chain_overview(actor, org.id, [old_id, first.id]).labels
    assert labels[old_id] == "unsigned (taken before snapshots were signed)"
    with pytest.raises(ValidationError, match="taken before snapshots were signed"):
        snapshot_bundles.export_bundle(actor, old_id)


def test_rotation_adds_a_key_and_old_snapshots_still_verify(db, monkeypatch, tmp_path):
    actor, org, (a, _b, _c) = _chain()
    monkeypatch.setenv("SIGNING_KEY", signing.new_signing_key())
    get_settings.cache_clear()
    try:
        # The database still names the old key: this process refuses to sign.
        with pytest.raises(KeyConfigError, match="is not the installation's"):
            signing.ensure_signing_key()
        rotated = signing.rotate_signing_key()
        with pytest.raises(KeyConfigError, match="already the installation's signing key"):
            signing.rotate_signing_key()
        d = snapshots.create_snapshot(actor, make_completed_audit(org).id)
        row = snapshots.get_snapshot(actor, d.id)
        assert row.envelope["signatures"][0]["keyid"] == rotated.keyid != rotated.previous_keyid
        assert [k.active for k in signing.list_public_keys()] == [True, False]
        assert snapshots.verify_snapshot(actor, a.id).valid
        assert snapshots.verify_snapshot(actor, d.id).valid
        bundles = _bundles(actor, [a.id, d.id])
        assert len({b["public_key"] for b in bundles}) == 2
        assert _run_script(tmp_path, [*_bundles(actor, [_b.id, _c.id]), *bundles]).returncode == 0
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_one_machine_generates_its_key_once_into_data_dir(db, data_dir, monkeypatch):
    monkeypatch.setenv("SIGNING_KEY", "")
    get_settings.cache_clear()
    first = signing.load_signer()
    path = data_dir / "signing_key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert signing.load_signer().keyid == first.keyid
    rotated = signing.rotate_signing_key()
    assert rotated.wrote_file == path and signing.load_signer().keyid == rotated.keyid != first.keyid
    assert path.stat().st_mode & 0o777 == 0o600
    monkeypatch.undo()
    get_settings.cache_clear()


def test_a_malformed_signing_key_is_refused_with_one_line(db, monkeypatch):
    monkeypatch.setenv("SIGNING_KEY", "not-a-key")
    get_settings.cache_clear()
    try:
        with pytest.raises(KeyConfigError, match="SIGNING_KEY is not an Ed25519 private key"):
            signing.load_signer()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def _client() -> Any:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from compliance_app.api.signed_bundles import ROUTES

    return TestClient(Starlette(routes=ROUTES))


@pytest.mark.parametrize("disclosure", ["full", "redact", "hide_raw"])
def test_share_link_bundle_and_public_keys(db, tmp_path, disclosure):
    actor, _org, made = _chain(2)
    _link, token = shares.create_link(actor, made[1].id, disclosure=disclosure)
    client = _client()
    keys = client.get("/api/public/keys").json()["keys"]
    assert [k["keyid"] for k in keys] == [signing.list_public_keys()[0].keyid]
    response = client.get(f"/api/public/bundles/{token}")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    bundle = response.json()
    assert list(bundle) == ["snapshot", "checksum", "previous_checksum", "envelope", "public_key"]
    payload = _payload(bundle["envelope"])
    if disclosure == "full":
        assert bundle["checksum"] == payload["checksum"] == made[1].checksum and payload["redacted_checksum"] is None
    else:
        assert payload["checksum"] == made[1].checksum
        assert bundle["checksum"] == payload["redacted_checksum"] != made[1].checksum
        assert bundle["snapshot"]["disclosure"]["original_checksum"] == made[1].checksum
    assert payload["previous_checksum"] == bundle["previous_checksum"] == made[0].checksum
    result = _run_script(tmp_path, [bundle], "--trust", keys[0]["keyid"])
    assert result.returncode == 0, result.stderr
    assert client.get("/api/public/bundles/" + "x" * 43).status_code == 404
    info = snapshot_bundles.share_signature(token)
    assert info.signed and info.head_sequence == 2 and info.head_checksum == made[1].checksum
    assert f"chained to snapshot #{made[0].id}" in info.label


def test_a_redacted_copy_of_a_tampered_snapshot_is_not_vouched_for(db, tmp_path):
    actor, _org, made = _chain(1)
    _link, token = shares.create_link(actor, made[0].id, disclosure="redact")
    _sql("UPDATE audit_snapshot SET data = jsonb_set(data, '{audit,score}', '100') WHERE id = :b", b=made[0].id)
    bundle = snapshot_bundles.public_bundle(token).content
    assert _payload(bundle["envelope"])["redacted_checksum"] is None
    assert _run_script(tmp_path, [bundle]).returncode == 1
