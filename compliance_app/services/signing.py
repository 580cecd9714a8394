"""The installation's Ed25519 signing key and DSSE envelopes.

The key is kept like the encryption keys of services/keys.py: on one machine it is
generated once into DATA_DIR/signing_key (mode 0600) and reused; with several machines
every process gets the same SIGNING_KEY through the environment. The public keys live in
the `signing_key` table: the newest row is the key every process must hold (a process
holding another refuses to sign, and refuses to start), older rows stay published so
snapshots signed before `keys rotate-signing` still verify.

Envelopes follow DSSE v1 (github.com/secure-systems-lab/dsse): the signature covers the
pre-authentication encoding `DSSEv1 <len(type)> <type> <len(body)> <body>` of the raw
payload bytes, never the base64 text; `keyid` is the SHA-256 hex of the raw public key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session, col, select

from compliance_app.db import session_scope
from compliance_app.models.keys import SigningKey
from compliance_app.models.types import utcnow
from compliance_app.services.keys import KeyConfigError, _read_secret_file
from compliance_app.settings import get_settings

SIGNING_KEY_FILE = "signing_key"
PAYLOAD_TYPE = "application/vnd.compliance-app.snapshot+json"


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE's pre-authentication encoding: lengths are byte counts in ASCII decimal."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


def keyid_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def encode_private_key(key: Ed25519PrivateKey) -> str:
    """One line for SIGNING_KEY or the key file: base64 of the 32-byte raw private key."""
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    return base64.b64encode(raw).decode("ascii")


def parse_private_key(text: str, source: str) -> Ed25519PrivateKey:
    """SIGNING_KEY or the key file's text -> key; KeyConfigError naming the source otherwise."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError("not an Ed25519 key")
            return key
        raw = base64.b64decode(text, validate=True)
        return Ed25519PrivateKey.from_private_bytes(raw)
    except (ValueError, TypeError, binascii.Error):
        raise KeyConfigError(f"{source} is not an Ed25519 private key (base64 of 32 bytes or PEM; "
                             "`python -m compliance_app keys new-signing` prints one)") from None


@dataclass(frozen=True)
class Signer:
    """This process's signing key with its published identity."""

    key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.key.public_key()

    @property
    def keyid(self) -> str:
        return keyid_of(self.public_key)

    def envelope(self, payload: bytes) -> dict[str, Any]:
        """A DSSE envelope over `payload` with this key's one signature."""
        signature = self.key.sign(pae(PAYLOAD_TYPE, payload))
        return {
            "payloadType": PAYLOAD_TYPE,
            "payload": base64.b64encode(payload).decode("ascii"),
            "signatures": [{"keyid": self.keyid, "sig": base64.b64encode(signature).decode("ascii")}],
        }


def _write_key_file(path: Path, key: Ed25519PrivateKey, *, replace: bool) -> None:
    """Atomically, mode 0600; without `replace` the first writer wins (web and worker race)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(encode_private_key(key) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@lru_cache(maxsize=8)
def _signer(configured: str, data_dir: str, file_stamp: float) -> Signer:
    if configured.strip():
        return Signer(parse_private_key(configured, "SIGNING_KEY"))
    path = Path(data_dir) / SIGNING_KEY_FILE
    if not path.exists():
        _write_key_file(path, Ed25519PrivateKey.generate(), replace=False)
    return Signer(parse_private_key(_read_secret_file(path), str(path)))


def load_signer() -> Signer:
    """This process's signing key, from SIGNING_KEY or DATA_DIR (created there when absent)."""
    settings = get_settings()
    path = Path(settings.data_dir) / SIGNING_KEY_FILE
    stamp = path.stat().st_mtime if not settings.signing_key.strip() and path.exists() else 0.0
    return _signer(settings.signing_key, str(settings.data_dir), stamp)


def _newest(session: Session) -> SigningKey | None:
    return session.exec(
        select(SigningKey).order_by(col(SigningKey.created_at).desc(), col(SigningKey.keyid)).limit(1)
    ).first()


def mismatch_message(mine: str, active: str) -> str:
    return (f"this process's signing key ({mine[:12]}) is not the installation's (key {active[:12]}): give "
            "every web and worker process the same SIGNING_KEY, or make this key the installation's with "
            "`python -m compliance_app keys rotate-signing`")


def active_signer(session: Session) -> Signer:
    """The signer, once it is known to be the installation's newest key; records it when the
    table is empty. Called in the transaction that signs, so a key recorded by a test or
    another process is always the one compared with."""
    signer = load_signer()
    newest = _newest(session)
    if newest is None:
        # Two processes' first snapshots may race to record the same key: the second one's
        # insert then waits for the first and adds nothing.
        values = {"keyid": signer.keyid, "public_key": public_pem(signer.public_key), "created_at": utcnow()}
        if session.get_bind().dialect.name == "postgresql":
            session.execute(pg_insert(SigningKey).values(**values).on_conflict_do_nothing())
        else:
            session.add(SigningKey(**values))
            session.flush()
    elif newest.keyid != signer.keyid:
        raise KeyConfigError(mismatch_message(signer.keyid, newest.keyid))
    return signer


def ensure_signing_key() -> Signer:
    """For process start-up: the signing key must be the installation's (raises KeyConfigError)."""
    with session_scope() as s:
        return active_signer(s)


@dataclass(frozen=True)
class PublicKeyInfo:
    keyid: str
    public_key: str
    created_at: datetime
    active: bool

    def as_dict(self) -> dict[str, Any]:
        return {"keyid": self.keyid, "public_key": self.public_key, "created_at": self.created_at.isoformat(),
                "active": self.active}


def list_public_keys() -> list[PublicKeyInfo]:
    """Every public key the installation has signed with, newest first (public information)."""
    with session_scope() as s:
        rows = s.exec(select(SigningKey).order_by(col(SigningKey.created_at).desc(), col(SigningKey.keyid))).all()
        return [PublicKeyInfo(r.keyid, r.public_key, r.created_at, i == 0) for i, r in enumerate(rows)]


def public_keys_by_id(session: Session) -> dict[str, Ed25519PublicKey]:
    keys: dict[str, Ed25519PublicKey] = {}
    for row in session.exec(select(SigningKey)).all():
        key = serialization.load_pem_public_key(row.public_key.encode("ascii"))
        if isinstance(key, Ed25519PublicKey):
            keys[row.keyid] = key
    return keys


def public_key_pem(session: Session, keyid: str) -> str | None:
    row = session.get(SigningKey, keyid)
    return row.public_key if row else None


def open_envelope(envelope: Any, keys: dict[str, Ed25519PublicKey]) -> tuple[bytes | None, str]:
    """(payload bytes, keyid) when one signature verifies under a known key, else (None, why)."""
    if not isinstance(envelope, dict) or envelope.get("payloadType") != PAYLOAD_TYPE:
        return None, "the envelope is missing or not a snapshot envelope"
    try:
        payload = base64.b64decode(str(envelope.get("payload", "")), validate=True)
    except (binascii.Error, ValueError):
        return None, "the envelope's payload is not base64"
    for signature in envelope.get("signatures") or []:
        key = keys.get(str(signature.get("keyid")))
        if key is None:
            continue
        try:
            key.verify(base64.b64decode(str(signature.get("sig", "")), validate=True), pae(PAYLOAD_TYPE, payload))
        except (InvalidSignature, binascii.Error, ValueError):
            continue
        return payload, str(signature.get("keyid"))
    return None, "no signature verifies under the installation's published keys"


@dataclass(frozen=True)
class RotationResult:
    keyid: str
    previous_keyid: str | None
    wrote_file: Path | None


def rotate_signing_key() -> RotationResult:
    """Add a signing key and make it the installation's; old public keys stay published.

    On one machine (no SIGNING_KEY) a new key replaces DATA_DIR/signing_key. With
    SIGNING_KEY set, the operator puts a new key there first (`keys new-signing`) and this
    records it; running it again with the same key is refused, it would add nothing.
    """
    settings = get_settings()
    wrote: Path | None = None
    if settings.signing_key.strip():
        signer = Signer(parse_private_key(settings.signing_key, "SIGNING_KEY"))
    else:
        signer = Signer(Ed25519PrivateKey.generate())
    with session_scope() as s:
        newest = _newest(s)
        if newest is not None and newest.keyid == signer.keyid:
            raise KeyConfigError("SIGNING_KEY is already the installation's signing key: put a new key in "
                                 "SIGNING_KEY (`python -m compliance_app keys new-signing` prints one) for "
                                 "every process, then run `keys rotate-signing` again")
        if s.get(SigningKey, signer.keyid) is not None:
            raise KeyConfigError("SIGNING_KEY was retired by an earlier rotation: use a new key")
        s.add(SigningKey(keyid=signer.keyid, public_key=public_pem(signer.public_key)))
        s.flush()
        if not settings.signing_key.strip():
            wrote = Path(settings.data_dir) / SIGNING_KEY_FILE
            _write_key_file(wrote, signer.key, replace=True)
        previous = newest.keyid if newest else None
    _signer.cache_clear()
    return RotationResult(signer.keyid, previous, wrote)


def new_signing_key() -> str:
    """A fresh key for SIGNING_KEY (printed once by `keys new-signing`)."""
    return encode_private_key(Ed25519PrivateKey.generate())
