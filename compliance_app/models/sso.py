"""Single sign-on (OpenID Connect): sign-ins in flight and the email-domain rules of organizations."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compliance_app.models.organization import Role
from compliance_app.models.types import enum_column, ts_column, utcnow


class SsoLoginRequest(SQLModel, table=True):
    """One sign-in sent to the identity provider and not yet come back.

    Only the SHA-256 of `state` is stored; the row is deleted when the callback uses it, so a
    replayed callback finds nothing. The nonce and the PKCE verifier never leave the server.
    """

    __tablename__ = "sso_login_request"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    state_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    nonce: str = Field(max_length=128)
    code_verifier: str = Field(max_length=128)
    next_path: str = Field(default="/", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
    expires_at: datetime = Field(sa_column=ts_column(nullable=False))


class SsoDomainRule(SQLModel, table=True):
    """People signing in with single sign-on and a verified email at `domain` join the
    organization with `role` the first time they sign in that way."""

    __tablename__ = "sso_domain_rule"
    __table_args__ = (sa.UniqueConstraint("organization_id", "domain", name="uq_sso_domain_rule_org_domain"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    organization_id: uuid.UUID = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")
    domain: str = Field(max_length=253, index=True)
    role: Role = Field(sa_column=enum_column(Role, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))
