"""The fingerprint of the keys the database's secrets are encrypted under (one row), and
the public keys snapshots are signed with."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from compliance_app.models.types import ts_column, utcnow


class KeyFingerprint(SQLModel, table=True):
    """Written by the first process that uses the keys and by `keys rotate`, read by every
    other process at start: a process with other keys refuses to run instead of quietly
    writing secrets nobody else can read."""

    __tablename__ = "key_fingerprint"

    id: int = Field(default=1, primary_key=True)
    fingerprint: str = Field(max_length=64)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class SigningKey(SQLModel, table=True):
    """A public key the installation signs snapshots with (services/signing.py).

    The newest row is the key every process must hold (its fingerprint check); older rows
    stay published so snapshots signed before `keys rotate-signing` still verify."""

    __tablename__ = "signing_key"

    keyid: str = Field(primary_key=True, max_length=64)  # SHA-256 hex of the raw public key
    public_key: str  # PEM (SubjectPublicKeyInfo)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
