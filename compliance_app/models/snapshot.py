"""Frozen, checksummed audit dumps and the public links that expose them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from compliance_app.models.types import JSONType, enum_column, ts_column, utcnow


class LinkDisclosure(StrEnum):
    """How much of the snapshot a public link shows (services/redaction.py builds the copy)."""

    FULL = "full"  # everything, raw API data included (links created before this choice existed)
    HIDE_RAW = "hide_raw"  # results and resources, no raw proof
    REDACT = "redact"  # raw proof kept, identifiers (names, account ids, key ids) masked


class AuditSnapshot(SQLModel, table=True):
    """One frozen audit. Snapshots taken since signing began are also links of their organization's
    hash chain (`sequence`, `previous_checksum`, both inside `data` too) and carry a DSSE
    `envelope` signed by the installation (services/snapshot_signing.py); older ones have
    none of the three and are shown as unsigned."""

    __tablename__ = "audit_snapshot"
    __table_args__ = (sa.UniqueConstraint("organization_id", "sequence", name="uq_audit_snapshot_org_sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    audit_id: uuid.UUID = Field(foreign_key="audit.id", index=True, ondelete="CASCADE")
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")
    data: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    checksum: str = Field(max_length=64)
    is_pinned: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    sequence: int | None = Field(default=None)
    previous_checksum: str | None = Field(default=None, max_length=64)
    #: SQL NULL (not JSON null) when absent, so "unsigned" is one IS NULL away.
    envelope: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(
        sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql"), nullable=True))


class SnapshotListing(SQLModel, table=True):
    """What the snapshots list shows of one snapshot, so a list page never loads or re-hashes
    snapshot data: its headline figures, written once with the snapshot (snapshots are
    immutable), and the time and result of its last verification (run on demand)."""

    __tablename__ = "snapshot_listing"

    snapshot_id: int = Field(foreign_key="audit_snapshot.id", primary_key=True, ondelete="CASCADE",
                             sa_column_kwargs={"autoincrement": False})
    score: int | None = None
    evidence_count: int = 0
    audit_finished_at: str | None = Field(default=None, max_length=40)
    score_basis: str = Field(default="", max_length=200)
    verified_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    #: The verdict of that verification: checksum, signature and chain (services/snapshots.verify_snapshot).
    valid: bool | None = None


class SnapshotTombstone(SQLModel, table=True):
    """What retention keeps of a deleted signed snapshot, so the chain still verifies past it:
    its checksum and predecessor, and its envelope (a tombstone cannot be forged without the
    installation's key)."""

    __tablename__ = "snapshot_tombstone"
    __table_args__ = (sa.UniqueConstraint("organization_id", "sequence", name="uq_snapshot_tombstone_org_sequence"),)

    snapshot_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")
    sequence: int
    checksum: str = Field(max_length=64)
    previous_checksum: str | None = Field(default=None, max_length=64)
    envelope: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    created_at: datetime = Field(sa_column=ts_column(nullable=False))
    deleted_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class SnapshotChainHead(SQLModel, table=True):
    """The newest link of an organization's chain, written with every signed snapshot.

    Its row is the per-organization lock that serializes creates (SELECT … FOR UPDATE), and
    it remembers the head after the newest snapshot is gone, so deleting that one shows."""

    __tablename__ = "snapshot_chain_head"

    organization_id: uuid.UUID = Field(foreign_key="organization.id", primary_key=True, ondelete="CASCADE")
    sequence: int = Field(default=0)
    checksum: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))


class PublicLink(SQLModel, table=True):
    __tablename__ = "public_link"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    snapshot_id: int = Field(foreign_key="audit_snapshot.id", index=True, ondelete="CASCADE")
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    label: str = Field(default="", max_length=200)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    expires_at: datetime = Field(sa_column=ts_column(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    view_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_viewed_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    disclosure: LinkDisclosure = Field(
        default=LinkDisclosure.REDACT,
        sa_column=enum_column(LinkDisclosure, nullable=False, server_default=LinkDisclosure.FULL.value),
    )
