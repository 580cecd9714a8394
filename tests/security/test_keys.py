"""No default secret.

Keys are never derivable from a string in the source: with nothing configured they are
generated into DATA_DIR (mode 0600) and reused; a process whose keys are not the
database's refuses to start with one line; `keys rotate` re-encrypts every secret,
including those written under the key earlier versions derived from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from compliance_app.db import session_scope
from compliance_app.models import Integration, KeyFingerprint
from compliance_app.services import integrations, keys
from compliance_app.services.crypto import SecretDecryptionError, decrypt_json, encrypt_json
from compliance_app.settings import PROJECT_ROOT, Settings, get_settings
from tests.conftest import run_cli
from tests.factories import actor_for, make_org, make_user

#: What earlier versions fell back to when SECRET_KEY was unset (anyone could compute the key).
OLD_DEFAULT = "dev-insecure-secret-key-change-me"
TOKEN = "ghp_KeyRotationCanary0123456789"


def legacy_fernet(secret_key: str) -> Fernet:
    """The Fernet key earlier versions derived from SECRET_KEY with a bare SHA-256."""
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"compliance_app/encryption/" + secret_key.encode())
                                           .digest()))


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Change key settings inside a test; settings are re-read before and after."""
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def use_keys(env: pytest.MonkeyPatch, secret_key: str | None, encryption_keys: str | None = None) -> None:
    for name, value in (("SECRET_KEY", secret_key), ("ENCRYPTION_KEYS", encryption_keys)):
        if value is None:
            env.delenv(name, raising=False)
        else:
            env.setenv(name, value)
    get_settings.cache_clear()


def test_unset_keys_are_generated_into_data_dir_with_mode_0600_and_reused(settings_env, tmp_path: Path) -> None:
    use_keys(settings_env, None)
    settings_env.setenv("DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    assert Settings().secret_key == "", "SECRET_KEY must have no default value"

    first = keys.load_keyring()
    path = tmp_path / "data" / keys.SECRET_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_text().strip()) >= 48
    token = first.fernet.encrypt(b'{"token": "x"}')
    with pytest.raises(InvalidToken):  # the old well-known fallback opens nothing
        legacy_fernet(OLD_DEFAULT).decrypt(token)

    keys._keyring.cache_clear()  # a later start (new process) reads the same file
    assert keys.load_keyring().fernet.decrypt(token) == b'{"token": "x"}'
    assert keys.load_keyring().fingerprint == first.fingerprint


def test_another_data_dir_generates_another_key(settings_env, tmp_path: Path) -> None:
    use_keys(settings_env, None)
    fingerprints = set()
    for name in ("one", "two"):
        settings_env.setenv("DATA_DIR", str(tmp_path / name))
        get_settings.cache_clear()
        fingerprints.add(keys.load_keyring().fingerprint)
    assert len(fingerprints) == 2


def test_weak_or_malformed_keys_and_a_readable_key_file_are_refused(settings_env, tmp_path: Path) -> None:
    use_keys(settings_env, "test-secret-key")
    with pytest.raises(keys.KeyConfigError, match="shorter than 32"):
        keys.load_keyring()
    use_keys(settings_env, secrets.token_urlsafe(48), "not-a-fernet-key")
    with pytest.raises(keys.KeyConfigError, match="ENCRYPTION_KEYS entry 1"):
        keys.load_keyring()
    use_keys(settings_env, None, Fernet.generate_key().decode())
    with pytest.raises(keys.KeyConfigError, match="SECRET_KEY is not"):
        keys.load_keyring()
    use_keys(settings_env, None)
    settings_env.setenv("DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    (tmp_path / keys.SECRET_KEY_FILE).write_text(secrets.token_urlsafe(48))
    (tmp_path / keys.SECRET_KEY_FILE).chmod(0o644)
    with pytest.raises(keys.KeyConfigError, match="chmod 600"):
        keys.load_keyring()


def test_each_purpose_gets_its_own_hkdf_subkey(settings_env) -> None:
    master = secrets.token_urlsafe(48)
    use_keys(settings_env, master)
    keyring = keys.load_keyring()
    assert keyring.subkey("a") != keyring.subkey("b") and keyring.subkey("a") == keyring.subkey("a")
    expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                    info=b"compliance_app/integration-secrets/v1").derive(master.encode())
    token = keyring.fernet.encrypt(b"secret")
    assert Fernet(base64.urlsafe_b64encode(expected)).decrypt(token) == b"secret"
    assert master.encode() not in expected


def _store_github(slug: str) -> Integration:
    owner = make_user()
    org = make_org(owner, slug=slug)
    row = integrations.add_github_integration(actor_for(owner), org.id, TOKEN, "acme")
    with session_scope() as s:
        return s.get(Integration, row.id)


def _stored(integration_id) -> str:
    with session_scope() as s:
        return s.get(Integration, integration_id).secret_encrypted


def _fingerprint() -> str | None:
    with session_scope() as s:
        row = s.get(KeyFingerprint, 1)
        return row.fingerprint if row else None


def test_a_process_with_other_keys_refuses_to_start(db, settings_env, monkeypatch, capsys) -> None:
    assert run_cli(monkeypatch, capsys, "keys", "rotate")[0] == 0  # the database takes these keys
    _store_github("keys-a")
    recorded = _fingerprint()
    assert recorded == keys.load_keyring().fingerprint

    other = secrets.token_urlsafe(48)
    use_keys(settings_env, other)
    code, out, err = run_cli(monkeypatch, capsys, "integration", "add", "github", "--org", "keys-a",
                             "--token", "ghp_SecondKeyWriter0000", "--github-org", "other")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "not the database's" in err and "SECRET_KEY" in err
    with pytest.raises(SystemExit) as exit_info:
        keys.refuse_to_start_with_foreign_keys()
    assert exit_info.value.code == 1
    assert "not the database's" in capsys.readouterr().err

    env = {**os.environ, "SECRET_KEY": other}
    worker = subprocess.run([sys.executable, "-m", "compliance_app", "worker"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert worker.returncode == 1
    assert worker.stderr.strip().count("\n") == 0 and "not the database's" in worker.stderr
    assert _fingerprint() == recorded


def test_keys_rotate_reencrypts_legacy_secrets_then_moves_to_new_keys(db, settings_env, monkeypatch, capsys) -> None:
    integration = _store_github("keys-b")
    old_secret = secrets.token_urlsafe(20)  # what an operator had set as SECRET_KEY before
    with session_scope() as s:
        row = s.get(Integration, integration.id)
        row.secret_encrypted = legacy_fernet(old_secret).encrypt(json.dumps({"token": TOKEN}).encode()).decode()
        s.add(row)
    with pytest.raises(SecretDecryptionError, match="keys rotate"):
        decrypt_json(_stored(integration.id))

    code, out, err = run_cli(monkeypatch, capsys, "keys", "rotate", "--legacy-secret-key", old_secret, "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["reencrypted"] == 1 and json.loads(out)["from_legacy"] == 1
    assert decrypt_json(_stored(integration.id)) == {"token": TOKEN}
    with pytest.raises(InvalidToken):
        legacy_fernet(old_secret).decrypt(_stored(integration.id).encode())

    # Rotation to a new key: the process refuses until `keys rotate` moves the database over.
    new_key = Fernet.generate_key().decode()
    use_keys(settings_env, os.environ["SECRET_KEY"], new_key)
    with pytest.raises(keys.KeyConfigError, match="not the database's"):
        encrypt_json({"x": 1})
    code, out, _ = run_cli(monkeypatch, capsys, "keys", "rotate")
    assert code == 0 and "re-encrypted 1 secret(s) (0 from the legacy key)" in out
    assert json.loads(Fernet(new_key).decrypt(_stored(integration.id).encode())) == {"token": TOKEN}
    assert _fingerprint() == keys.load_keyring().fingerprint


def test_keys_rotate_changes_nothing_when_a_secret_cannot_be_read(db, monkeypatch, capsys) -> None:
    integration = _store_github("keys-c")
    assert run_cli(monkeypatch, capsys, "keys", "rotate")[0] == 0
    before = _fingerprint()
    foreign = Fernet(Fernet.generate_key()).encrypt(b'{"token": "lost"}').decode()
    with session_scope() as s:
        row = s.get(Integration, integration.id)
        row.secret_encrypted = foreign
        s.add(row)
    code, out, err = run_cli(monkeypatch, capsys, "keys", "rotate", "--legacy-secret-key", OLD_DEFAULT)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert f"integration {integration.id}" in err and "Nothing was changed" in err
    assert _stored(integration.id) == foreign and _fingerprint() == before


def test_the_web_app_checks_the_keys_when_it_starts() -> None:
    from compliance_app.compliance_app import app

    assert keys.refuse_to_start_with_foreign_keys in app.get_lifespan_tasks()
