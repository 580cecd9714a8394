"""Uploaded proof, kept per organization and check (and resource), carried into later audits.

A proof file used to hang on one audit's evidence row, so every new scan asked for it again.
It is an organization-level record instead: the proof for (check, resource) stays current
until a newer upload replaces it, and every audit's evidence for that check and resource
shows it. A replaced proof keeps its row (replaced_at set) and its file, because snapshots
frozen earlier name the file and its SHA-256.

The evidence date is when the proof was true (the date on the screenshot or report), set by
the user and separate from the upload time; with the check's validity period it gives the
day the proof goes stale (services/proof.py).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compliance_app.models.types import ts_column, utcnow

_CURRENT_WHERE = sa.text("replaced_at IS NULL")


class Proof(SQLModel, table=True):
    __tablename__ = "proof"
    __table_args__ = (
        # One current proof per check and resource of an organization, enforced by the database.
        sa.Index(
            "uq_proof_current",
            "organization_id",
            "question_key",
            "resource_id",
            unique=True,
            postgresql_where=_CURRENT_WHERE,
            sqlite_where=_CURRENT_WHERE,
        ),
        sa.CheckConstraint("valid_days > 0", name="ck_proof_valid_days_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: uuid.UUID = Field(
        sa_column=sa.Column(sa.Uuid, sa.ForeignKey("organization.id", ondelete="CASCADE"), nullable=False)
    )
    #: The check's key (stable across catalog syncs, unlike Question ids of a restored database).
    question_key: str = Field(max_length=120)
    #: "" for proof of the whole check (NOT_APPLICABLE rows, account-level settings).
    resource_id: str = Field(default="", max_length=500)
    #: Stored name under DATA_DIR/evidence (random hex + extension, never the user's name).
    file_name: str = Field(max_length=200)
    content_type: str = Field(max_length=60)
    size: int
    sha256: str = Field(max_length=64)
    evidence_date: date
    #: From the check's metadata when uploaded (CheckMeta.proof_valid_days).
    valid_days: int = Field(default=365)
    uploaded_by_id: uuid.UUID | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    #: When a newer upload for the same check and resource replaced it (None: current).
    replaced_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
