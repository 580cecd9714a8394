"""Encryption of integration secrets at rest, and hashing of bearer tokens.

The keys come from services/keys.py (never from a string in the source) and are checked
against the database's fingerprint before the first use. MultiFernet lets operators
rotate keys: data encrypted with an older key still decrypts, and `keys rotate`
(services/key_rotation.py) re-encrypts it with the newest.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet

from compliance_app.services.keys import ensure_database_keys


class SecretDecryptionError(RuntimeError):
    """Stored secrets cannot be decrypted with the configured keys."""


def _fernet() -> MultiFernet:
    return ensure_database_keys().fernet


def encrypt_json(value: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(value).encode()).decode()


def decrypt_json(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise SecretDecryptionError(
            "stored credentials cannot be decrypted with this server's keys: if they were stored by an "
            "earlier version, run `python -m compliance_app keys rotate` (see README, Configuration)"
        ) from None


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token (32 bytes = 256 bits)."""
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """Tokens are stored only as SHA-256: a database leak does not leak sessions or links."""
    # surrogatepass: a token with a lone surrogate (JSON "\ud800", a mis-decoded argument) hashes to a
    # value no real token has, instead of failing.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
