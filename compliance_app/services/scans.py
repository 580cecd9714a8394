"""Scans as people see them: ask for one, list audits, follow progress, read evidence.

The worker side of the lifecycle (claim, lease, complete, reap) is in audit_queue.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from compliance_app.db import session_scope
from compliance_app.models import (
    ACTIVE_AUDIT_STATUSES,
    SEVERITY_WEIGHT,
    Audit,
    AuditStatus,
    Evidence,
    EvidenceStatus,
    Integration,
    Proof,
    Provider,
    Question,
    Severity,
)
from compliance_app.services import activity
from compliance_app.services.authz import (
    Access,
    Actor,
    Permission,
    authorize,
    authorize_row,
    authorize_slug,
    storable_text,
    uuid_or_not_found,
)
from compliance_app.services.errors import ValidationError
from compliance_app.services.proof import current_proofs, expires_on
from compliance_app.services.readiness import FRAMEWORKS
from compliance_app.services.scoring import resources_summary, scored_text_of
from compliance_app.settings import get_settings

T = TypeVar("T")
#: The one sentence the dashboard and the CLI's `scan` give when there is nothing to check.
NOTHING_TO_SCAN = (
    "Nothing to scan: connect GitHub or AWS under Integrations first; "
    "a scan without an integration would only record an empty audit."
)
#: The demo organization's figures are sample data; scanning it would mix real findings in.
DEMO_NOT_SCANNED = (
    "The demo organization shows sample data and is never scanned: "
    "create your own organization to connect GitHub or AWS."
)
MAX_PAGE_SIZE = 200
#: Pages beyond this are refused (or clamped): the row offset must stay a PostgreSQL bigint.
MAX_PAGE = 1_000_000


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass
class EvidenceRow:
    """One evidence row joined with its question, as the audit page and the CLI show it."""

    id: int
    question_key: str
    question_title: str
    provider: str
    severity: str
    status: str
    original_status: str | None
    resource_id: str
    region: str | None
    message: str
    remediation_steps: str
    raw_data: dict[str, Any] = field(default_factory=dict)
    #: Stored name of the organization's current proof for this check and resource (any
    #: audit's upload: proof is carried into later audits), None when there is none.
    screenshot: str | None = None
    #: That proof's evidence date and the day it goes stale (ISO dates), None without proof.
    proof_date: str | None = None
    proof_expires_on: str | None = None


def _page_bounds(page: int, page_size: int) -> tuple[int, int]:
    if page < 1:
        raise ValidationError("Page numbers start at 1.", field="page")
    if page > MAX_PAGE:
        raise ValidationError(f"Page numbers go up to {MAX_PAGE:,}.", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError(f"Page size must be between 1 and {MAX_PAGE_SIZE}.", field="page_size")
    return page, page_size


def access_audit(s: Session, actor: Actor, audit_id: uuid.UUID | str, permission: Permission) -> tuple[
    Audit, Access
]:
    """Load and authorize in one step; a missing audit and another tenant's look the same."""
    not_found = "Audit not found."
    return authorize_row(s, actor, Audit, uuid_or_not_found(audit_id, not_found), permission, not_found)


def organization_id_for_slug(actor: Actor, slug: str) -> uuid.UUID:
    """For entry points that know the organization by slug (CLI, URLs)."""
    with session_scope() as s:
        return authorize_slug(s, actor, slug, Permission.READ).organization.id


def _active_audit(s: Session, organization_id: uuid.UUID) -> Audit | None:
    return s.exec(
        select(Audit).where(
            Audit.organization_id == organization_id, Audit.status.in_(ACTIVE_AUDIT_STATUSES)
        )
    ).first()


def request_scan(actor: Actor, organization_id: uuid.UUID) -> Audit:
    """Queue an audit, or return the one already queued or running (idempotent).

    The partial unique index uq_audit_one_active_per_organization is the real guard: two
    concurrent requests cannot both insert, the loser reads the winner's audit.
    """
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.RUN_SCAN)
        active = _active_audit(s, organization_id)
        if active is not None:
            return active
        audit = Audit(organization_id=organization_id, triggered_by_id=actor.user_id)
        try:
            with s.begin_nested():
                s.add(audit)
        except IntegrityError:
            active = _active_audit(s, organization_id)
            if active is None:  # the other audit finished in between: nothing to return but retry
                raise
            return active
        activity.record(s, actor, "scan.requested", organization_id=organization_id, target=str(audit.id))
        return audit


def _has_scan_targets(s: Session, organization_id: uuid.UUID) -> bool:
    """An integration to scan (a test/benchmark engine override brings its own sessions)."""
    if get_settings().engine_override_module:
        return True
    return s.exec(select(Integration.id).where(Integration.organization_id == organization_id).limit(1)).first() \
        is not None


def start_scan(actor: Actor, organization_id: uuid.UUID) -> Audit:
    """A person's "Run scan" (dashboard, CLI): request_scan, refused when there is nothing to check.

    An audit without an integration scores nothing, yet it would become "the latest audit"
    that snapshots freeze and leave an empty day in the trend; refuse it and say why.
    """
    with session_scope() as s:
        organization = authorize(s, actor, organization_id, Permission.RUN_SCAN).organization
        if organization.is_demo:
            raise ValidationError(DEMO_NOT_SCANNED, field="integrations")
        if _active_audit(s, organization_id) is None and not _has_scan_targets(s, organization_id):
            raise ValidationError(NOTHING_TO_SCAN, field="integrations")
    return request_scan(actor, organization_id)


def list_audits(
    actor: Actor,
    organization_id: uuid.UUID,
    status: AuditStatus | str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    page_size: int = 20,
) -> Page[Audit]:
    """Newest first; `since`/`until` bound created_at (inclusive/exclusive)."""
    status, page, page_size = audit_filters(status, page, page_size)
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.READ)
        return audits_in(s, organization_id, status, since, until, page, page_size)


def audit_filters(status: AuditStatus | str | None, page: int, page_size: int) -> tuple[AuditStatus | None, int, int]:
    """An audit list's status and page, checked before the caller authorizes (a mistake is said as such)."""
    page, page_size = _page_bounds(page, page_size)
    if status is None:
        return None, page, page_size
    try:
        return AuditStatus(status), page, page_size
    except ValueError:
        raise ValidationError(f"Unknown audit status {status!r}.", field="status") from None


def audits_in(
    s: Session, organization_id: uuid.UUID, status: AuditStatus | None, since: datetime | None,
    until: datetime | None, page: int, page_size: int,
) -> Page[Audit]:
    """list_audits in the caller's transaction, with filters from audit_filters (the caller has authorized)."""
    conditions = [Audit.organization_id == organization_id]
    if status is not None:
        conditions.append(Audit.status == status)
    if since is not None:
        conditions.append(Audit.created_at >= since)
    if until is not None:
        conditions.append(Audit.created_at < until)
    total = s.exec(select(sa.func.count()).select_from(Audit).where(*conditions)).one()
    items = s.exec(
        select(Audit)
        .where(*conditions)
        .order_by(Audit.created_at.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return Page(items=list(items), total=total, page=page, page_size=page_size)


def get_audit(actor: Actor, audit_id: uuid.UUID | str) -> Audit:
    with session_scope() as s:
        return access_audit(s, actor, audit_id, Permission.READ)[0]


def get_audit_progress(actor: Actor, audit_id: uuid.UUID | str) -> dict[str, Any]:
    """The few columns a page polls while an audit runs."""
    with session_scope() as s:
        audit = access_audit(s, actor, audit_id, Permission.READ)[0]
        return {
            "audit_id": str(audit.id),
            "status": str(audit.status),
            "progress_done": audit.progress_done,
            "progress_total": audit.progress_total,
            "current_check": audit.current_check,
            "score": audit.score,
            "counts": audit.counts,
            "error": audit.error,
        }


_SEVERITY_RANK = sa.case(
    *((Question.severity == sev.value, -w) for sev, w in SEVERITY_WEIGHT.items()), else_=0
)
_STATUS_RANK = sa.case(
    (Evidence.status == EvidenceStatus.FAIL.value, 0),
    (Evidence.status == EvidenceStatus.ERROR.value, 1),
    (Evidence.status == EvidenceStatus.RISK_ACCEPTED.value, 2),
    else_=3,
)
EVIDENCE_SORTS = {
    "severity": (_SEVERITY_RANK, _STATUS_RANK, Question.key, Evidence.resource_id),
    "status": (_STATUS_RANK, _SEVERITY_RANK, Question.key, Evidence.resource_id),
    "question": (Question.key, Evidence.resource_id),
    "resource": (Evidence.resource_id, Question.key),
}


def list_evidence(
    actor: Actor,
    audit_id: uuid.UUID | str,
    status: EvidenceStatus | str | None = None,
    severity: Severity | str | None = None,
    provider: str | None = None,
    framework: str | None = None,
    search: str | None = None,
    sort: str = "status",
    page: int = 1,
    page_size: int = 50,
    question_key: str | None = None,
) -> Page[EvidenceRow]:
    """Evidence of one audit, filtered (`question_key`: one check's resources) and sorted; failures first
    by default."""
    page, page_size = _page_bounds(page, page_size)
    if sort not in EVIDENCE_SORTS:
        raise ValidationError(f"Sort by one of: {', '.join(EVIDENCE_SORTS)}.", field="sort")
    with session_scope() as s:
        audit = access_audit(s, actor, audit_id, Permission.READ)[0]
        conditions: list[Any] = [Evidence.audit_id == audit.id]
        try:
            if status:
                conditions.append(Evidence.status == EvidenceStatus(status))
            if severity:
                conditions.append(Question.severity == Severity(severity))
            if provider:  # an enum column: an unknown name fails the query instead of matching nothing
                conditions.append(Question.provider == Provider(provider))
        except ValueError as exc:
            raise ValidationError(f"Unknown filter value: {exc}.") from None
        if question_key:  # text no key can hold (NUL) names no check, rather than failing the query
            conditions.append(Question.key == question_key if storable_text(question_key) else sa.false())
        if framework:
            conditions.append(Evidence.question_id.in_(_questions_in_framework(s, framework)))
        if search and search.strip():
            pattern = f"%{search.strip()}%"
            conditions.append(
                sa.or_(
                    Evidence.resource_id.ilike(pattern),
                    Evidence.message.ilike(pattern),
                    Question.key.ilike(pattern),
                    Question.title.ilike(pattern),
                )
            )
        joined = select(Evidence, Question).join(Question, Question.id == Evidence.question_id)
        total = s.exec(
            select(sa.func.count())
            .select_from(Evidence)
            .join(Question, Question.id == Evidence.question_id)
            .where(*conditions)
        ).one()
        rows = s.exec(
            joined.where(*conditions)
            .order_by(*EVIDENCE_SORTS[sort], Evidence.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).all()
        return Page(items=evidence_rows(s, audit, rows), total=total, page=page, page_size=page_size)


def _questions_in_framework(s: Session, framework: str) -> list[int]:
    """The catalog is small (one row per check), so filtering its JSON in Python stays portable."""
    if framework not in FRAMEWORKS:
        raise ValidationError(f"Unknown framework {framework!r}.", field="framework")
    return [qid for qid, fws in s.exec(select(Question.id, Question.frameworks)).all() if framework in (fws or {})]


def evidence_rows(s: Session, audit: Audit, rows: Iterable[tuple[Evidence, Question]]) -> list[EvidenceRow]:
    """Evidence rows of one audit with the organization's current proof of each (one query)."""
    rows = list(rows)
    proofs = current_proofs(s, audit.organization_id, [(q.key, e.resource_id) for e, q in rows])
    return [_evidence_row(e, q, proofs.get((q.key, e.resource_id))) for e, q in rows]


def _evidence_row(e: Evidence, q: Question, proof: Proof | None = None) -> EvidenceRow:
    return EvidenceRow(
        id=e.id or 0,
        question_key=q.key,
        question_title=q.title,
        provider=str(q.provider),
        severity=str(q.severity),
        status=str(e.status),
        original_status=str(e.original_status) if e.original_status else None,
        resource_id=e.resource_id,
        region=e.region,
        message=e.message,
        remediation_steps=e.remediation_steps,
        raw_data=e.raw_data,
        screenshot=proof.file_name if proof else None,
        proof_date=proof.evidence_date.isoformat() if proof else None,
        proof_expires_on=expires_on(proof.evidence_date, proof.valid_days).isoformat() if proof else None,
    )


def audit_summary(audit: Audit) -> dict[str, Any]:
    """The `{audit_id, status, score, counts, checks, resources}` document the CLI prints.

    `counts` keeps its meaning (evidence rows per status); `checks` are checks per rolled-up
    result, the unit of the score, and `resources` the rows passing/failing (DESIGN.md §4).
    """
    return {
        "audit_id": str(audit.id),
        "organization_id": str(audit.organization_id),
        "status": str(audit.status),
        "score": audit.score,
        "scored": scored_text_of(audit.check_counts),
        "counts": audit.counts,
        "checks": audit.check_counts,
        "resources": resources_summary(audit.counts),
        "error": audit.error,
        "created_at": audit.created_at,
        "started_at": audit.started_at,
        "finished_at": audit.finished_at,
        "progress_done": audit.progress_done,
        "progress_total": audit.progress_total,
    }
