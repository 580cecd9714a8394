"""The server's keys: where they come from, the sub-keys derived from them, and the check
that every process of one installation uses the same ones.

No key is ever derived from a string in the source. SECRET_KEY is the master secret; on a
one-machine install where SECRET_KEY and ENCRYPTION_KEYS are unset, the first start
generates it into DATA_DIR/secret_key (mode 0600) and every later start reuses it, so
`make run` needs no configuration. Several machines pass the same SECRET_KEY (and
ENCRYPTION_KEYS, if used) to every web and worker process through the environment.

Each purpose gets its own sub-key through HKDF (RFC 5869), so a key used for one thing
never doubles as the key for another. Integration secrets are encrypted with MultiFernet
over ENCRYPTION_KEYS (newest first, for rotation) followed by the SECRET_KEY-derived key.

The database stores a fingerprint of the active keys (models/keys.py). The first process
records it; a process whose keys do not match refuses to start with one line, instead of
silently writing secrets under a second key that the other processes cannot read. Only
`keys rotate` (services/key_rotation.py) moves the database to other keys.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import stat
import sys
import threading
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from compliance_app.db import database_url, session_scope
from compliance_app.models.keys import KeyFingerprint
from compliance_app.models.types import utcnow
from compliance_app.settings import get_settings

SECRET_KEY_FILE = "secret_key"
#: 32 characters of a random token are ~190 bits; anything shorter is typed by a person.
MIN_SECRET_KEY_CHARS = 32
#: HKDF `info` labels: one per purpose, never reused for another.
PURPOSE_INTEGRATION_SECRETS = "integration-secrets"
_PURPOSE_FINGERPRINT = "key-fingerprint"


class KeyConfigError(RuntimeError):
    """The keys are missing, malformed, unsafe on disk, or not the database's keys."""


@dataclass(frozen=True)
class Keyring:
    """The master secret and the explicit encryption keys (newest first) of this process."""

    secret: bytes
    encryption_keys: tuple[bytes, ...]

    def subkey(self, purpose: str, length: int = 32) -> bytes:
        """The key for one purpose, derived from the master secret with HKDF-SHA256."""
        return HKDF(algorithm=hashes.SHA256(), length=length, salt=None,
                    info=f"compliance_app/{purpose}/v1".encode()).derive(self.secret)

    @cached_property
    def fernet(self) -> MultiFernet:
        """Encrypts with the newest key; decrypts with any (ENCRYPTION_KEYS, then the derived key)."""
        own = base64.urlsafe_b64encode(self.subkey(PURPOSE_INTEGRATION_SECRETS))
        return MultiFernet([Fernet(k) for k in (*self.encryption_keys, own)])

    @cached_property
    def fingerprint(self) -> str:
        """One-way: identifies the master secret and the newest encryption key, reveals neither."""
        newest = self.encryption_keys[0] if self.encryption_keys else b""
        return HKDF(algorithm=hashes.SHA256(), length=16, salt=None,
                    info=f"compliance_app/{_PURPOSE_FINGERPRINT}/v1".encode()).derive(
            self.secret + b"\x00" + newest).hex()


def _parse_encryption_keys(value: str) -> tuple[bytes, ...]:
    keys = [k.strip() for k in value.split(",") if k.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise KeyConfigError(f"ENCRYPTION_KEYS entry {position} is not a Fernet key (32 url-safe "
                                 "base64-encoded bytes; `python -m compliance_app keys new` prints one)") from None
    return tuple(k.encode() for k in keys)


def _read_secret_file(path: Path) -> str:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyConfigError(f"{path} can be read by other users (mode {stat.filemode(mode)}): "
                             f"run `chmod 600 {path}`")
    value = path.read_text().strip()
    if len(value) < MIN_SECRET_KEY_CHARS:
        raise KeyConfigError(f"{path} does not hold a key of at least {MIN_SECRET_KEY_CHARS} characters")
    return value


def _secret_from_data_dir(data_dir: Path) -> str:
    """The generated master secret: created once (atomically, mode 0600), then reused."""
    path = data_dir / SECRET_KEY_FILE
    if path.exists():
        return _read_secret_file(path)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = data_dir / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process (web or worker) got there first
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read_secret_file(path)


@lru_cache(maxsize=8)
def _keyring(secret_key: str, encryption_keys: str, data_dir: str) -> Keyring:
    explicit = _parse_encryption_keys(encryption_keys)
    secret = secret_key.strip()
    if not secret:
        if explicit:
            raise KeyConfigError("ENCRYPTION_KEYS is set but SECRET_KEY is not: give every process the same "
                                 "SECRET_KEY too")
        secret = _secret_from_data_dir(Path(data_dir))
    elif len(secret) < MIN_SECRET_KEY_CHARS:
        raise KeyConfigError(f"SECRET_KEY is shorter than {MIN_SECRET_KEY_CHARS} characters: use a random "
                             "value, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`")
    return Keyring(secret=secret.encode(), encryption_keys=explicit)


def load_keyring() -> Keyring:
    """This process's keys, from the environment or DATA_DIR (raises KeyConfigError)."""
    settings = get_settings()
    return _keyring(settings.secret_key, settings.encryption_keys, str(settings.data_dir))


_verified: set[tuple[str, str]] = set()
_verify_lock = threading.Lock()


def mismatch_message(mine: str, stored: str) -> str:
    return (f"this process's keys (fingerprint {mine[:12]}) are not the database's (fingerprint {stored[:12]}): "
            "give every web and worker process the same SECRET_KEY and ENCRYPTION_KEYS, or move the "
            "database to these keys with `python -m compliance_app keys rotate`")


def ensure_database_keys() -> Keyring:
    """The keyring, once it is known to be the database's; records it on the very first use.

    Checked once per process (and database); called when a process starts and before the
    first encryption or decryption, so no entry point can skip it.
    """
    keyring = load_keyring()
    marker = (database_url(), keyring.fingerprint)
    if marker in _verified:
        return keyring
    with _verify_lock:
        for _attempt in range(2):
            try:
                with session_scope() as s:
                    row = s.get(KeyFingerprint, 1)
                    if row is None:
                        s.add(KeyFingerprint(fingerprint=keyring.fingerprint))
                    elif row.fingerprint != keyring.fingerprint:
                        raise KeyConfigError(mismatch_message(keyring.fingerprint, row.fingerprint))
                break
            except IntegrityError:  # another process recorded its keys first: compare with those
                continue
        else:
            raise KeyConfigError("could not record the keys' fingerprint in the database")
        _verified.add(marker)
    return keyring


def refuse_to_start_with_foreign_keys() -> None:
    """For process entry points (web, worker, serve): one line on stderr and exit 1 when this
    process's keys (the snapshot-signing key included) are missing, unsafe or not the database's."""
    from compliance_app.services.signing import ensure_signing_key  # it builds on this module

    try:
        ensure_database_keys()
        ensure_signing_key()
    except KeyConfigError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise SystemExit(1) from None


def record_fingerprint(session: Session, keyring: Keyring) -> None:
    """Make `keyring` the database's keys, in the caller's transaction (only `keys rotate`
    does this, in the transaction that re-encrypted every secret)."""
    row = session.get(KeyFingerprint, 1) or KeyFingerprint()
    row.fingerprint, row.recorded_at = keyring.fingerprint, utcnow()
    session.add(row)


def mark_verified(keyring: Keyring) -> None:
    _verified.add((database_url(), keyring.fingerprint))


def new_fernet_key() -> str:
    """A fresh random key for ENCRYPTION_KEYS."""
    return Fernet.generate_key().decode()
