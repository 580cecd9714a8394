"""Encryption of integration secrets at rest, and hashing of bearer tokens.

MultiFernet lets operators rotate keys: ENCRYPTION_KEYS lists keys newest first; data
encrypted with an older key still decrypts and `rotate` re-encrypts it with the newest.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from compliance_app.settings import get_settings


class SecretDecryptionError(RuntimeError):
    """Stored secrets cannot be decrypted with the configured keys."""


def _fernet() -> MultiFernet:
    settings = get_settings()
    keys = [k.strip() for k in settings.encryption_keys.split(",") if k.strip()]
    if not keys:
        derived = hashlib.sha256(b"compliance_app/encryption/" + settings.secret_key.encode()).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    return MultiFernet([Fernet(k) for k in keys])


def encrypt_json(value: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(value).encode()).decode()


def decrypt_json(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise SecretDecryptionError(
            "stored credentials cannot be decrypted: check ENCRYPTION_KEYS / SECRET_KEY"
        ) from None


def rotate(token: str) -> str:
    return _fernet().rotate(token.encode()).decode()


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token (32 bytes = 256 bits)."""
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """Tokens are stored only as SHA-256: a database leak does not leak sessions or links."""
    return hashlib.sha256(token.encode()).hexdigest()
