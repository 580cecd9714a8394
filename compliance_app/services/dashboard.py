"""The managers' dashboard, the audits list and the audit page: read-only queries.

Every function authorizes READ on the organization first (through scans.access_audit for
audit-scoped reads, which hides other tenants' ids behind NotFound). Queries follow the
design's indexes: Audit(organization_id, created_at) for "latest audits" and
Evidence(audit_id, status) for one audit's evidence; aggregation happens in SQL (GROUP
BY), so the dashboard costs a handful of small queries whatever the history size, and a
completed audit's per-check figures are grouped once per process (services/audit_figures.py).
A page load reads everything it shows in one transaction (dashboard_page, audit_page).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from compliance_app.db import session_scope
from compliance_app.models import (
    ACTIVE_AUDIT_STATUSES,
    Audit,
    AuditStatus,
    Evidence,
    EvidenceStatus,
    Integration,
    Question,
    ScanHistory,
    Severity,
    User,
)
from compliance_app.models.types import utcnow
from compliance_app.services import audit_figures
from compliance_app.services.audit_outcome import scope_lines, why_unscored
from compliance_app.services.authz import Actor, Permission, authorize, int_or_not_found
from compliance_app.services.check_results import CheckFilter, CheckRow, checks_in
from compliance_app.services.errors import NotFound, ValidationError
from compliance_app.services.proof import ProofDue, ProofInfo, current_proof, proof_due, proof_info
from compliance_app.services.readiness import FrameworkReadiness, framework_readiness
from compliance_app.services.scans import (
    EvidenceRow,
    Page,
    _evidence_row,
    _page_bounds,
    access_audit,
    audit_filters,
    audits_in,
)
from compliance_app.services.scoring import SCORE_EXPLANATION, scored_text_of

#: Ranges the trend chart offers, in days.
TREND_RANGES: tuple[int, ...] = (7, 30, 90, 365)
TOP_FAILING_LIMIT = 8
STATUSES: tuple[str, ...] = tuple(s.value for s in EvidenceStatus)


@dataclass
class FailingCheck:
    """A failing check (not a resource): the worst first by severity, then resources failing."""

    question_key: str
    title: str
    severity: str
    provider: str
    #: Resources failing, and in total ("3 of 120 resources failing").
    failing: int
    total: int = 0
    resources_text: str = ""


@dataclass
class ActiveScan:
    audit_id: str
    status: str
    progress_done: int
    progress_total: int
    current_check: str | None


@dataclass
class DashboardSummary:
    has_integrations: bool
    audit_count: int
    #: The seeded demo organization: sample figures, never scanned.
    is_demo: bool = False
    #: The latest completed audit with a score (None when there is none yet).
    latest_audit_id: str | None = None
    score: int | None = None
    previous_score: int | None = None
    #: Resources (evidence rows) per status of the latest scored audit.
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    #: Checks per rolled-up result of that audit: the unit of the score (DESIGN.md §4).
    check_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    #: "scored 18 of 24 checks (2 could not run)", shown beside the score.
    scored_text: str = ""
    #: How the score is computed, in one sentence (help line / tooltip).
    score_explanation: str = SCORE_EXPLANATION
    completed_at: datetime | None = None
    #: The newest audit of any status: what "last scan" shows.
    last_scan_at: datetime | None = None
    last_scan_status: str | None = None
    last_scan_error: str | None = None
    #: Why the newest audit has no score (every check could not run, or nothing to check).
    last_scan_problem: str | None = None
    active: ActiveScan | None = None
    top_failing: list[FailingCheck] = field(default_factory=list)
    readiness: list[FrameworkReadiness] = field(default_factory=list)
    #: Uploaded proof that is stale or expires within 30 days, the soonest first.
    proof_due: list[ProofDue] = field(default_factory=list)

    @property
    def delta(self) -> int | None:
        """Change of score since the previous completed audit (None if either is unknown)."""
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score


@dataclass
class AuditRow:
    id: str
    status: str
    score: int | None
    #: Resources (evidence rows) per status.
    counts: dict[str, int]
    created_at: datetime
    finished_at: datetime | None
    triggered_by: str | None
    error: str | None
    #: Why a completed audit has no score (audit_outcome.why_unscored), else None.
    problem: str | None = None
    #: Checks per rolled-up result, and "scored n of m checks (k could not run)" ("" before
    #: the audit completed).
    check_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    scored_text: str = ""


@dataclass
class EvidenceDetail:
    row: EvidenceRow
    audit_id: str
    organization_id: str
    question_title: str
    description: str
    rationale: str
    remediation: str
    frameworks: dict[str, list[str]]
    #: The organization's current proof for this check and resource (None: none uploaded).
    proof: ProofInfo | None
    created_at: datetime


@dataclass(frozen=True)
class _DashboardAudits:
    newest: Audit | None
    active: Audit | None
    #: The newest completed audits that have a score, newest first (at most two).
    scored: list[Audit]


def _dashboard_audits_query() -> Any:
    in_org = Audit.organization_id == sa.bindparam("org_id")
    newest = select(Audit.id).where(in_org).order_by(Audit.created_at.desc()).limit(1)
    active = select(Audit.id).where(in_org, Audit.status.in_(ACTIVE_AUDIT_STATUSES)).limit(1)
    scored = (select(Audit.id).where(in_org, Audit.status == AuditStatus.COMPLETED, Audit.score.is_not(None))
              .order_by(Audit.created_at.desc()).limit(2))
    ids = sa.union(newest.subquery().select(), active.subquery().select(), scored.subquery().select())
    return select(Audit).where(Audit.id.in_(ids))


#: Built once: constructing the statement costs more CPU than the round trips it saves.
_DASHBOARD_AUDITS = _dashboard_audits_query()


def _dashboard_audits(s: Session, org_id: uuid.UUID) -> _DashboardAudits:
    """The audits the summary names, in one query (a dashboard load is the commonest event, and
    each query is a round trip): the newest, a running or queued one, and the two newest
    completed audits that have a score (a scan that found nothing to check has none and must
    not blank the figures of the last real one)."""
    rows = sorted(s.exec(_DASHBOARD_AUDITS, params={"org_id": org_id}).all(),
                  key=lambda a: a.created_at, reverse=True)
    return _DashboardAudits(
        newest=rows[0] if rows else None,
        active=next((a for a in rows if a.status in ACTIVE_AUDIT_STATUSES), None),
        scored=[a for a in rows if a.status == AuditStatus.COMPLETED and a.score is not None][:2],
    )


def _top_failing(rows: tuple[CheckRow, ...]) -> list[FailingCheck]:
    """Failing checks, the most severe first (check_rows' order), then by resources failing."""
    return [
        FailingCheck(r.question_key, r.title, r.severity, r.provider, r.failing, r.total, r.resources_text)
        for r in rows if r.result == EvidenceStatus.FAIL.value
    ][:TOP_FAILING_LIMIT]


def dashboard_summary(actor: Actor, org_id: uuid.UUID) -> DashboardSummary:
    """Everything the dashboard shows except the trend, in one transaction."""
    with session_scope() as s:
        organization = authorize(s, actor, org_id, Permission.READ).organization
        return _summary(s, org_id, organization.is_demo)


def dashboard_page(actor: Actor, org_id: uuid.UUID, days: int = 30,
                   today: date | None = None) -> tuple[DashboardSummary, list[dict[str, Any]]]:
    """The summary and the trend of `days` days: what a dashboard load shows, in one transaction
    authorized once (a page load is the commonest event: each transaction saved is a pool
    ping, a commit and the authorization's two queries)."""
    _check_range(days)
    with session_scope() as s:
        organization = authorize(s, actor, org_id, Permission.READ).organization
        return _summary(s, org_id, organization.is_demo), _trend(s, org_id, days, today or utcnow().date())


#: Built once, bound at execution (each dashboard load runs it).
_INTEGRATIONS_AND_AUDITS = select(
    sa.exists().where(Integration.organization_id == sa.bindparam("org_id")),
    select(sa.func.count()).select_from(Audit).where(Audit.organization_id == sa.bindparam("org_id")).scalar_subquery(),
)


def _summary(s: Session, org_id: uuid.UUID, is_demo: bool) -> DashboardSummary:
    """The summary of an organization the caller was authorized to read."""
    has_integrations, audit_count = s.exec(_INTEGRATIONS_AND_AUDITS, params={"org_id": org_id}).one()
    summary = DashboardSummary(has_integrations=has_integrations, audit_count=audit_count,
                               is_demo=is_demo, proof_due=proof_due(s, org_id, utcnow().date()))
    audits = _dashboard_audits(s, org_id)
    newest, active, completed = audits.newest, audits.active, audits.scored
    if newest is not None:
        summary.last_scan_at = newest.finished_at or newest.created_at
        summary.last_scan_status = str(newest.status)
        summary.last_scan_error = newest.error
        summary.last_scan_problem = why_unscored(s, newest)
    if active is not None:
        summary.active = ActiveScan(
            str(active.id), str(active.status), active.progress_done, active.progress_total, active.current_check
        )
    if completed:
        latest = completed[0]
        summary.latest_audit_id = str(latest.id)
        summary.score = latest.score
        summary.previous_score = completed[1].score if len(completed) > 1 else None
        figures = audit_figures.figures(s, latest)
        summary.counts = dict(figures.result.resource_counts)
        summary.check_counts = dict(figures.result.check_counts)
        summary.scored_text = figures.result.scored_text
        summary.completed_at = latest.finished_at or latest.created_at
        summary.top_failing = _top_failing(figures.rows)
        summary.readiness = list(figures.readiness)
    else:
        summary.readiness = framework_readiness([])
    return summary


_TREND_COLUMNS = (ScanHistory.date, ScanHistory.score, ScanHistory.total_pass, ScanHistory.total_fail,
                  ScanHistory.total_accepted, ScanHistory.total_error, ScanHistory.total_not_applicable,
                  ScanHistory.resources_passing, ScanHistory.resources_failing)


def _check_range(days: int) -> None:
    if days not in TREND_RANGES:
        raise ValidationError(f"Choose a range of {', '.join(map(str, TREND_RANGES))} days.", field="days")


def score_trend(actor: Actor, org_id: uuid.UUID, days: int = 30, today: date | None = None) -> list[dict[str, Any]]:
    """Daily points of the last `days` days (today included), oldest first, from ScanHistory:
    checks per result (pass, fail, accepted, error, not_applicable) and resources beside them."""
    _check_range(days)
    with session_scope() as s:
        authorize(s, actor, org_id, Permission.READ)
        return _trend(s, org_id, days, today or utcnow().date())


#: Built once, bound at execution (each dashboard load and range switch runs it).
_TREND = (
    select(*_TREND_COLUMNS)  # only what is plotted
    .where(ScanHistory.organization_id == sa.bindparam("org_id"), ScanHistory.date > sa.bindparam("since"))
    .order_by(ScanHistory.date)
)


def _trend(s: Session, org_id: uuid.UUID, days: int, today: date) -> list[dict[str, Any]]:
    rows = s.exec(_TREND, params={"org_id": org_id, "since": today - timedelta(days=days)}).all()
    return [
        {
            "date": r.date.isoformat(),
            "score": r.score,
            "pass": r.total_pass,
            "fail": r.total_fail,
            "accepted": r.total_accepted,
            "error": r.total_error,
            "not_applicable": r.total_not_applicable,
            "resources_passing": r.resources_passing,
            "resources_failing": r.resources_failing,
        }
        for r in rows
    ]


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def list_audit_rows(
    actor: Actor,
    org_id: uuid.UUID,
    status: str | None = None,
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
    page_size: int = 20,
) -> Page[AuditRow]:
    """The audits list: scans.list_audits plus who triggered each (dates are whole days, inclusive),
    in one transaction."""
    if since and until and since > until:
        raise ValidationError("The start date must be before the end date.", field="since")
    checked_status, page, page_size = audit_filters(status or None, page, page_size)
    with session_scope() as s:
        authorize(s, actor, org_id, Permission.READ)
        return audit_rows_in(s, org_id, checked_status, since, until, page, page_size)


def audit_rows_in(
    s: Session, org_id: uuid.UUID, status: AuditStatus | None, since: date | None, until: date | None, page: int,
    page_size: int,
) -> Page[AuditRow]:
    """list_audit_rows in the caller's transaction, with filters from scans.audit_filters (the caller has
    authorized)."""
    result = audits_in(s, org_id, status, _midnight(since) if since else None,
                       _midnight(until + timedelta(days=1)) if until else None, page, page_size)
    user_ids = {a.triggered_by_id for a in result.items if a.triggered_by_id}
    emails = dict(s.exec(select(User.id, User.email).where(User.id.in_(user_ids))).all()) if user_ids else {}
    rows = [_audit_row(a, emails.get(a.triggered_by_id) if a.triggered_by_id else None, why_unscored(s, a))
            for a in result.items]
    return Page(items=rows, total=result.total, page=result.page, page_size=result.page_size)


def _audit_row(audit: Audit, triggered_by: str | None, problem: str | None = None) -> AuditRow:
    return AuditRow(
        id=str(audit.id),
        status=str(audit.status),
        score=audit.score,
        counts={st: int((audit.counts or {}).get(st, 0)) for st in STATUSES},
        check_counts={st: int((audit.check_counts or {}).get(st, 0)) for st in STATUSES},
        scored_text=scored_text_of(audit.check_counts) if audit.status == AuditStatus.COMPLETED else "",
        created_at=audit.created_at,
        finished_at=audit.finished_at,
        triggered_by=triggered_by,
        error=audit.error,
        problem=problem,
    )


def audit_overview(actor: Actor, audit_id: uuid.UUID | str) -> AuditRow:
    """One audit's header figures (NotFound for other tenants)."""
    return audit_header(actor, audit_id)[0]


def audit_header(actor: Actor, audit_id: uuid.UUID | str) -> tuple[AuditRow, list[str]]:
    """The audit page's header: its figures and what it scanned (audit_outcome.scope_lines), in one
    transaction authorized once (NotFound for other tenants)."""
    with session_scope() as s:
        return _header(s, access_audit(s, actor, audit_id, Permission.READ)[0])


def audit_page(
    actor: Actor,
    audit_id: uuid.UUID | str,
    result: EvidenceStatus | str | None = None,
    severity: Severity | str | None = None,
    provider: str | None = None,
    framework: str | None = None,
    search: str | None = None,
    page: int = 1,
    page_size: int = 25,
) -> tuple[AuditRow, list[str], Page[CheckRow]]:
    """What the audit page reads when it opens, in one transaction authorized once: audit_header,
    and the checks list_check_results gives for these filters."""
    page, page_size = _page_bounds(page, page_size)
    wanted = CheckFilter.of(result, severity, provider, framework, search)
    with session_scope() as s:
        audit = access_audit(s, actor, audit_id, Permission.READ)[0]
        return (*_header(s, audit), checks_in(s, audit, wanted, page, page_size))


def _header(s: Session, audit: Audit) -> tuple[AuditRow, list[str]]:
    by = s.get(User, audit.triggered_by_id).email if audit.triggered_by_id else None
    return _audit_row(audit, by, why_unscored(s, audit)), scope_lines(audit.scope)


def access_evidence(s: Session, actor: Actor, evidence_id: int | str, permission: Permission) -> tuple[Evidence, Audit]:
    """Load an evidence and authorize on its organization; missing and forbidden look alike."""
    evidence = s.get(Evidence, int_or_not_found(evidence_id, "Evidence not found."))
    audit = s.get(Audit, evidence.audit_id) if evidence is not None else None
    if evidence is None or audit is None:
        raise NotFound("Evidence not found.")
    try:
        authorize(s, actor, audit.organization_id, permission)
    except NotFound:
        raise NotFound("Evidence not found.") from None
    return evidence, audit


def get_evidence_detail(actor: Actor, evidence_id: int | str) -> EvidenceDetail:
    """What the evidence drawer shows: the row, its check's rationale and remediation."""
    with session_scope() as s:
        evidence, audit = access_evidence(s, actor, evidence_id, Permission.READ)
        question = s.get(Question, evidence.question_id)
        proof = current_proof(s, audit.organization_id, question.key, evidence.resource_id)
        return EvidenceDetail(
            row=_evidence_row(evidence, question, proof),
            audit_id=str(audit.id),
            organization_id=str(audit.organization_id),
            question_title=question.title,
            description=question.description,
            rationale=question.rationale,
            remediation=question.remediation,
            frameworks=question.frameworks or {},
            proof=proof_info(s, proof, utcnow().date()) if proof else None,
            created_at=evidence.created_at,
        )
