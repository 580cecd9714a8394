"""Risk acceptance: an admin accepts a failing question, for a reason and until a date.

While an exception is in force (not revoked, not expired) the engine turns matching FAIL
evidence of new audits into RISK_ACCEPTED, keeping the check's verdict in
original_status. Accepting from an audit's evidence also re-scores that audit (and its
day's ScanHistory point when that audit is the one the point shows). Revoking or
expiring stops the exception applying to new audits; finished audits keep the record of
what was accepted when they ran.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from compliance_app.db import session_scope
from compliance_app.models import (
    Audit,
    AuditStatus,
    Evidence,
    EvidenceStatus,
    Question,
    RiskAcceptanceException,
    User,
)
from compliance_app.models.types import utcnow
from compliance_app.services import activity, audit_queue
from compliance_app.services.authz import (
    Actor,
    Permission,
    authorize,
    authorize_row,
    int_or_not_found,
    uuid_or_not_found,
)
from compliance_app.services.errors import Conflict, NotFound, ValidationError

MAX_ACCEPTANCE = timedelta(days=365)
MAX_REASON = 2000


@dataclass
class RiskAcceptanceRow:
    id: uuid.UUID
    question_key: str
    question_title: str
    resource_id: str | None
    reason: str
    approved_by: str | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    status: str  # active | expired | revoked


def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("A reason is required to accept a risk.", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(f"The reason is too long (at most {MAX_REASON} characters).", field="reason")
    return reason


def _clean_expiry(expires_at: datetime | date | None) -> datetime:
    if expires_at is None:
        raise ValidationError("An expiry date is required to accept a risk.", field="expires_at")
    if not isinstance(expires_at, datetime):
        expires_at = datetime.combine(expires_at, time.min, tzinfo=UTC)
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    now = utcnow()
    if expires_at <= now:
        raise ValidationError("The expiry date must be in the future.", field="expires_at")
    if expires_at - now > MAX_ACCEPTANCE:
        raise ValidationError("A risk can be accepted for at most one year.", field="expires_at")
    return expires_at


def _find_question(s: Session, question: str | int) -> Question:
    stmt = select(Question)
    if isinstance(question, int) or str(question).isdigit():
        stmt = stmt.where(Question.id == int(question))
    else:
        stmt = stmt.where(Question.key == str(question).strip())
    found = s.exec(stmt).first()
    if found is None:
        raise ValidationError(f"Unknown question {question!r}.", field="question")
    return found


def _ensure_not_duplicate(s: Session, org_id: uuid.UUID, question_id: int, resource_id: str | None) -> None:
    existing = s.exec(
        select(RiskAcceptanceException).where(
            RiskAcceptanceException.organization_id == org_id,
            RiskAcceptanceException.question_id == question_id,
            RiskAcceptanceException.resource_id == resource_id
            if resource_id is not None
            else RiskAcceptanceException.resource_id.is_(None),
            RiskAcceptanceException.revoked_at.is_(None),
            RiskAcceptanceException.expires_at > utcnow(),
        )
    ).first()
    if existing is not None:
        raise Conflict(
            f"This risk is already accepted until {existing.expires_at:%Y-%m-%d}; revoke that exception first."
        )


def _create(
    s: Session,
    actor: Actor,
    org_id: uuid.UUID,
    question: Question,
    resource_id: str | None,
    reason: str,
    expires_at: datetime,
) -> RiskAcceptanceException:
    _ensure_not_duplicate(s, org_id, question.id, resource_id)
    exception = RiskAcceptanceException(
        organization_id=org_id,
        question_id=question.id,
        resource_id=resource_id,
        reason=reason,
        approved_by_id=actor.user_id,
        expires_at=expires_at,
    )
    s.add(exception)
    s.flush()
    activity.record(
        s, actor, "risk.accepted", organization_id=org_id, target=str(exception.id),
        meta={"question": question.key, "resource_id": resource_id, "expires_at": expires_at.isoformat()},
    )
    return exception


def accept_risk(
    actor: Actor,
    organization_id: uuid.UUID,
    question: str | int,
    reason: str | None,
    expires_at: datetime | date | None,
    resource_id: str | None = None,
) -> RiskAcceptanceException:
    """Accept a question (key or id) for the organization, or for one resource of it."""
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.MANAGE_RISK)
        reason = _clean_reason(reason)
        expires = _clean_expiry(expires_at)
        found = _find_question(s, question)
        resource_id = (resource_id or "").strip() or None
        return _create(s, actor, organization_id, found, resource_id, reason, expires)


def accept_risk_for_evidence(
    actor: Actor, evidence_id: int, reason: str | None, expires_at: datetime | date | None
) -> RiskAcceptanceException:
    """Accept one failing evidence's question for its resource, and re-score its audit."""
    with session_scope() as s:
        evidence = s.get(Evidence, int_or_not_found(evidence_id, "Evidence not found."))
        audit = s.get(Audit, evidence.audit_id) if evidence is not None else None
        if evidence is None or audit is None:
            raise NotFound("Evidence not found.")
        try:
            authorize(s, actor, audit.organization_id, Permission.MANAGE_RISK)
        except NotFound:
            raise NotFound("Evidence not found.") from None
        reason = _clean_reason(reason)
        expires = _clean_expiry(expires_at)
        if evidence.status != EvidenceStatus.FAIL:
            raise ValidationError(
                f"Only failing evidence can be accepted as a risk (this one is {evidence.status})."
            )
        question = s.get(Question, evidence.question_id)
        exception = _create(s, actor, audit.organization_id, question, evidence.resource_id, reason, expires)
        s.execute(
            sa.update(Evidence)
            .where(
                Evidence.audit_id == audit.id,
                Evidence.question_id == question.id,
                Evidence.resource_id == evidence.resource_id,
                Evidence.status == EvidenceStatus.FAIL,
            )
            .values(status=EvidenceStatus.RISK_ACCEPTED)
        )
        if audit.status == AuditStatus.COMPLETED:
            audit_queue.rescore(s, audit)  # its score, check counts and ScanHistory point
        return exception


def revoke_risk(actor: Actor, exception_id: uuid.UUID | str) -> RiskAcceptanceException:
    with session_scope() as s:
        not_found = "Risk acceptance not found."
        exception = authorize_row(
            s, actor, RiskAcceptanceException, uuid_or_not_found(exception_id, not_found), Permission.MANAGE_RISK,
            not_found,
        )[0]
        if exception.revoked_at is not None:
            raise Conflict("This risk acceptance is already revoked.")
        exception.revoked_at = utcnow()
        exception.revoked_by_id = actor.user_id
        activity.record(
            s, actor, "risk.revoked", organization_id=exception.organization_id, target=str(exception.id)
        )
        return exception


def acceptance_status(exception: RiskAcceptanceException, now: datetime | None = None) -> str:
    if exception.revoked_at is not None:
        return "revoked"
    return "active" if exception.expires_at > (now or utcnow()) else "expired"


def list_risk_acceptances(actor: Actor, organization_id: uuid.UUID) -> list[RiskAcceptanceRow]:
    """Every exception of the organization, newest first, with its status."""
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.READ)
        rows = s.exec(
            select(RiskAcceptanceException, Question, User)
            .join(Question, Question.id == RiskAcceptanceException.question_id)
            .outerjoin(User, User.id == RiskAcceptanceException.approved_by_id)
            .where(RiskAcceptanceException.organization_id == organization_id)
            .order_by(RiskAcceptanceException.created_at.desc())
        ).all()
        now = utcnow()
        return [
            RiskAcceptanceRow(
                id=e.id,
                question_key=q.key,
                question_title=q.title,
                resource_id=e.resource_id,
                reason=e.reason,
                approved_by=u.email if u is not None else None,
                created_at=e.created_at,
                expires_at=e.expires_at,
                revoked_at=e.revoked_at,
                status=acceptance_status(e, now),
            )
            for e, q, u in rows
        ]
