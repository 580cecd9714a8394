"""Two tenants with data in every kind of row, for the isolation tests of this package.

Organization A holds everything an attacker would want (an audit with evidence and a proof
file, a snapshot with share links, an integration, a risk acceptance, an invitation);
organization B is the attacker's own, with just enough data to be a real tenant. Every
string that identifies A's data is unique (MARKERS), so a response can be searched for it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from compliance_app.checks.base import Check, CheckMeta, Finding
from compliance_app.db import get_engine, session_scope
from compliance_app.models import Evidence, EvidenceStatus, Organization, Provider, PublicLink, Role, Severity, User
from compliance_app.models.types import utcnow
from compliance_app.services import (
    accounts,
    api_tokens,
    evidence_files,
    integrations,
    organizations,
    risk,
    shares,
    snapshots,
)
from compliance_app.services.authz import Actor
from tests.dashboard.conftest import png_bytes
from tests.factories import DEFAULT_PASSWORD, actor_for, add_member, make_org, make_user
from tests.scans.helpers import run_scan

ORG_A_NAME = "Quokka Heavy Industries"
ORG_A_SLUG = "quokka-heavy"
ORG_B_NAME = "Wombat Outsiders"
ORG_B_SLUG = "wombat-outsiders"
RESOURCE_A = "quokka-private-repo-4711"
RESOURCE_B = "wombat-repo-0815"


def _meta(key: str) -> CheckMeta:
    return CheckMeta(
        key=key, title=f"Isolation {key}", provider=Provider.GITHUB, service="isolation",
        severity=Severity.HIGH, frameworks={"SOC 2": ["CC6.1"]}, rationale="Tenant isolation tests.",
        remediation="Nothing to fix.",
    )


class ResourceCheck(Check):
    """One PASS and one FAIL finding on resources named after the tenant (searchable markers)."""

    meta = _meta("isolation_resource_check")

    def __init__(self, resource: str) -> None:
        self.resource = resource

    def run(self, session: object) -> list[Finding]:
        return [
            Finding(self.resource, EvidenceStatus.FAIL, f"{self.resource} is exposed", {"repo": self.resource}),
            Finding(f"{self.resource}-ok", EvidenceStatus.PASS, "fine", {"repo": f"{self.resource}-ok"}),
        ]


@dataclass
class World:
    org_a: Organization
    org_b: Organization
    admin_a: User
    viewer_a: User
    user_b: User
    audit_a: uuid.UUID
    evidence_a: int  # the FAIL evidence, which carries a proof file
    evidence_a_pass: int
    snapshot_a: int
    token_a: str  # a live share link of snapshot_a
    link_a: uuid.UUID
    expired_token_a: str
    revoked_token_a: str
    audit_b: uuid.UUID
    snapshot_b: int
    token_b: str
    integration_a: uuid.UUID
    exception_a: uuid.UUID
    invitation_a: uuid.UUID
    invitation_token_a: str
    api_token_a: uuid.UUID

    def actor(self, role: str) -> Actor:
        return {
            "anonymous": Actor.anonymous(),
            "outsider": actor_for(self.user_b),
            "viewer": actor_for(self.viewer_a),
            "admin": actor_for(self.admin_a),
        }[role]

    def user(self, role: str) -> User | None:
        return {"outsider": self.user_b, "viewer": self.viewer_a, "admin": self.admin_a}.get(role)

    @property
    def markers(self) -> list[str]:
        """Strings that only org A's data contains: none may reach anonymous or org B."""
        return [ORG_A_NAME, ORG_A_SLUG, RESOURCE_A, str(self.audit_a), str(self.integration_a),
                str(self.link_a), self.admin_a.email, self.viewer_a.email]


def _evidence_ids(audit_id: uuid.UUID) -> dict[str, int]:
    with session_scope() as s:
        rows = s.exec(sa.select(Evidence.resource_id, Evidence.id).where(Evidence.audit_id == audit_id)).all()
    return {resource: evidence_id for resource, evidence_id in rows}


def _tenant(org: Organization, resource: str) -> tuple[uuid.UUID, dict[str, int], int, str]:
    """A completed audit, its snapshot and a live share link."""
    audit = run_scan(org, checks=[ResourceCheck(resource)], sessions=[(Provider.GITHUB, object())])
    evidence = _evidence_ids(audit.id)
    snapshot = snapshots.create_snapshot(Actor.system("test"), audit.id)
    _link, token = shares.create_link(Actor.system("test"), snapshot.id, label=f"{org.slug} auditor")
    return audit.id, evidence, snapshot.id, token


def build_world() -> World:
    admin_a = make_user(email="ada@quokka.example", name="Ada Quokka")
    org_a = make_org(owner=admin_a, slug=ORG_A_SLUG, name=ORG_A_NAME)
    viewer_a = add_member(org_a, make_user(email="vic@quokka.example", name="Vic Quokka"), Role.VIEWER)
    user_b = make_user(email="eve@wombat.example", name="Eve Wombat")
    org_b = make_org(owner=user_b, slug=ORG_B_SLUG, name=ORG_B_NAME)
    system = Actor.system("test")

    audit_a, evidence, snapshot_a, _first = _tenant(org_a, RESOURCE_A)
    evidence_files.save_evidence_file(system, evidence[RESOURCE_A], png_bytes(), "proof.png")
    # One link revoked, one expired, one live (the free plan's active-link limit stays met).
    revoked_info, revoked_token = shares.create_link(system, snapshot_a, label="revoked")
    shares.revoke_link(system, revoked_info.id)
    _expired, expired_token = shares.create_link(system, snapshot_a, label="expired")
    with session_scope() as s:
        for link in s.exec(sa.select(PublicLink).where(PublicLink.snapshot_id == snapshot_a)).scalars():
            if link.id != revoked_info.id:
                link.expires_at = utcnow() - timedelta(minutes=1)
                s.add(link)
    link_a, token_a = shares.create_link(system, snapshot_a, label="quokka live auditor")

    audit_b, _evidence_b, snapshot_b, token_b = _tenant(org_b, RESOURCE_B)
    integration = integrations.add_github_integration(
        system, org_a.id, "ghp_quokkaIntegrationToken0001", "quokka-gh", name="Quokka GitHub"
    )
    exception = risk.accept_risk(system, org_a.id, "isolation_resource_check", "Quokka accepts it",
                                 utcnow() + timedelta(days=30), resource_id=RESOURCE_A)
    invitation, invitation_token = organizations.invite_member(system, org_a.id, "newbie@quokka.example", "viewer")
    api_token, _secret = api_tokens.create_token(system, org_a.slug, "Quokka CI", "scan")
    world = World(
        org_a=org_a, org_b=org_b, admin_a=admin_a, viewer_a=viewer_a, user_b=user_b, audit_a=audit_a,
        evidence_a=evidence[RESOURCE_A], evidence_a_pass=evidence[f"{RESOURCE_A}-ok"], snapshot_a=snapshot_a,
        token_a=token_a, link_a=link_a.id, expired_token_a=expired_token, revoked_token_a=revoked_token,
        audit_b=audit_b, snapshot_b=snapshot_b, token_b=token_b, integration_a=integration.id,
        exception_a=exception.id, invitation_a=invitation.id, invitation_token_a=invitation_token,
        api_token_a=api_token.id,
    )
    return world


@pytest.fixture
def world(db: str, data_dir: Path) -> World:
    return build_world()


def session_token(user: User, client: str = "security-tests") -> str:
    """A real session token, obtained the way the login route obtains it."""
    _user, token = accounts.authenticate(user.email, DEFAULT_PASSWORD, f"{client}-{uuid.uuid4().hex[:6]}")
    return token


def row_counts() -> dict[str, int]:
    """Rows per table: a refused call must leave every count as it was."""
    with get_engine().connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables
        }


def table_dump() -> str:
    """Every row of every table as JSON text (what a database leak would expose)."""
    parts = []
    with get_engine().connect() as conn:
        for t in SQLModel.metadata.sorted_tables:
            rows = conn.execute(sa.text(f'SELECT row_to_json(t)::text FROM "{t.name}" t')).scalars().all()
            parts.append(f"== {t.name}\n" + "\n".join(rows))
    return "\n".join(parts)
