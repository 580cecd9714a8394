"""The home page's summary: each organization of the caller with its latest score."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import func, select

from compliance_app.db import session_scope
from compliance_app.models import Audit, AuditStatus, Membership, Organization
from compliance_app.services.authz import Actor
from compliance_app.services.errors import AuthenticationRequired
from compliance_app.services.scoring import scored_text_of


@dataclass(frozen=True)
class OrganizationSummary:
    name: str
    slug: str
    role: str
    latest_score: int | None
    audit_count: int
    #: "scored n of m checks (k could not run)" of that audit ("" without one).
    latest_scored: str = ""


def list_organization_summaries(actor: Actor) -> list[OrganizationSummary]:
    """Only organizations the actor belongs to; two grouped queries whatever their number."""
    if actor.user_id is None:
        raise AuthenticationRequired("Please sign in to continue.")
    with session_scope() as s:
        orgs = s.exec(
            select(Organization, Membership.role)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == actor.user_id)
            .order_by(Organization.name)
        ).all()
        ids = [org.id for org, _ in orgs]
        if not ids:
            return []
        audit_counts = dict(
            s.exec(
                select(Audit.organization_id, func.count())
                .where(Audit.organization_id.in_(ids))
                .group_by(Audit.organization_id)
            ).all()
        )
        latest = (
            select(Audit.organization_id, Audit.score, Audit.check_counts,
                   func.row_number().over(partition_by=Audit.organization_id,
                                          order_by=Audit.created_at.desc()).label("rn"))
            .where(Audit.organization_id.in_(ids), Audit.status == AuditStatus.COMPLETED)
            .subquery()
        )
        scores = {
            org_id: (score, check_counts)
            for org_id, score, check_counts in s.exec(
                select(latest.c.organization_id, latest.c.score, latest.c.check_counts).where(latest.c.rn == 1)
            ).all()
        }
        return [
            OrganizationSummary(
                name=org.name,
                slug=org.slug,
                role=str(role),
                latest_score=scores.get(org.id, (None, None))[0],
                audit_count=audit_counts.get(org.id, 0),
                latest_scored=scored_text_of(scores.get(org.id, (None, None))[1]),
            )
            for org, role in orgs
        ]
