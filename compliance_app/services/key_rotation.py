"""`keys rotate`: re-encrypt every encrypted column under this process's newest key.

An encrypted column says so with `info={"encrypted": True}` on its sa.Column, so a new
one is rotated without touching this module. Each value is decrypted with any of the
current keys (MultiFernet.rotate) or, failing that, through the legacy path: the key that
earlier versions derived from SECRET_KEY with a bare SHA-256, for the current SECRET_KEY
and for any old value the operator passes. Those values are read once here, re-encrypted
under the new keys, and never used to encrypt again.

Everything happens in one transaction with the rows locked: either every secret is
re-encrypted and the database's key fingerprint moves to these keys, or nothing changes.
This is an operator's command (CLI, system level), not a tenant's action.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlmodel import SQLModel

import compliance_app.models  # noqa: F401 - registers every table, so every encrypted column is found
from compliance_app.db import session_scope
from compliance_app.services.keys import KeyConfigError, load_keyring, mark_verified, record_fingerprint
from compliance_app.settings import get_settings


@dataclass(frozen=True)
class RotationResult:
    reencrypted: int
    from_legacy: int
    fingerprint: str


def encrypted_columns() -> Iterator[tuple[sa.Table, sa.Column]]:
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if column.info.get("encrypted"):
                yield table, column


def _legacy_key(secret_key: str) -> Fernet:
    """How versions before key generation turned SECRET_KEY into the Fernet key (read only)."""
    digest = hashlib.sha256(b"compliance_app/encryption/" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def rotate_encrypted_columns(legacy_secret_keys: Iterable[str] = ()) -> RotationResult:
    """Re-encrypt every secret with the newest key and record these keys as the database's."""
    keyring = load_keyring()
    current = keyring.fernet
    old_secrets = dict.fromkeys(s for s in (get_settings().secret_key, *legacy_secret_keys) if s and s.strip())
    legacy = MultiFernet([_legacy_key(s) for s in old_secrets]) if old_secrets else None
    reencrypted = from_legacy = 0
    unreadable: list[str] = []
    with session_scope() as s:
        for table, column in encrypted_columns():
            [key] = table.primary_key.columns
            rows = s.execute(sa.select(key, column).where(column != "").order_by(key).with_for_update()).all()
            for row_id, token in rows:
                try:
                    rotated = current.rotate(token.encode())
                except InvalidToken:
                    try:
                        plaintext = legacy.decrypt(token.encode()) if legacy else None
                    except InvalidToken:
                        plaintext = None
                    if plaintext is None:
                        unreadable.append(f"{table.name} {row_id}")
                        continue
                    rotated = current.encrypt(plaintext)
                    from_legacy += 1
                s.execute(sa.update(table).where(key == row_id).values({column.name: rotated.decode()}))
                reencrypted += 1
        if unreadable:
            shown = ", ".join(unreadable[:10]) + (f" and {len(unreadable) - 10} more" if len(unreadable) > 10 else "")
            raise KeyConfigError(
                f"{len(unreadable)} secret(s) cannot be decrypted with these keys or the legacy SECRET_KEY "
                f"({shown}); pass the SECRET_KEY they were stored under with --legacy-secret-key. "
                "Nothing was changed")
        record_fingerprint(s, keyring)
    mark_verified(keyring)
    return RotationResult(reencrypted=reencrypted, from_legacy=from_legacy, fingerprint=keyring.fingerprint)
