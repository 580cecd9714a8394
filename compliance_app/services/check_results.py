"""An audit's results per check (DESIGN.md §4): what managers read, with the resources inside.

The audit page lists one row per check ("Public S3 buckets — FAIL — 3 of 120 resources
failing"), filterable on the check's result, and expands a check into its resources.
Rows come from scoring.score_audit over the audit's grouped evidence, so the page, the
dashboard, the worker's score and the CLI agree by construction. The catalog is small (one
row per check), so filtering and paging the rolled-up rows happens in Python.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, select

from compliance_app.db import session_scope
from compliance_app.models import Audit, Evidence, EvidenceStatus, Question, Severity
from compliance_app.services.authz import Actor, Permission
from compliance_app.services.errors import ValidationError
from compliance_app.services.readiness import FRAMEWORKS
from compliance_app.services.scans import (
    EVIDENCE_SORTS,
    EvidenceRow,
    Page,
    _page_bounds,
    access_audit,
    evidence_rows,
)
from compliance_app.services.scoring import AuditScore, CheckResult, score_audit
from compliance_app.vocabulary import SEVERITY_WEIGHT

#: Worst first, as the audit page lists checks.
_RESULT_RANK = {"FAIL": 0, "ERROR": 1, "RISK_ACCEPTED": 2, "PASS": 3, "NOT_APPLICABLE": 4}


@dataclass
class CheckRow:
    """One check of one audit, as the audit page shows it."""

    question_key: str
    title: str
    provider: str
    service: str
    severity: str
    #: Rolled-up result: PASS, FAIL, RISK_ACCEPTED, ERROR or NOT_APPLICABLE.
    result: str
    #: Resources (evidence rows) failing, and in total: "3 of 120 resources failing".
    failing: int
    total: int
    resources_text: str
    #: Resources per status, every status present.
    resources: dict[str, int] = field(default_factory=dict)
    frameworks: dict[str, list[str]] = field(default_factory=dict)


def evidence_groups(s: Session, audit_id: uuid.UUID) -> list[tuple[str, str, str, int]]:
    """(check key, severity, status, rows) of an audit's evidence: scoring.score_audit's input."""
    rows = s.execute(
        select(Question.key, Question.severity, Evidence.status, sa.func.count())
        .join(Question, Question.id == Evidence.question_id)
        .where(Evidence.audit_id == audit_id)
        .group_by(Question.key, Question.severity, Evidence.status)
    ).all()
    return [(key, str(severity), str(status), n) for key, severity, status, n in rows]


def audit_score(s: Session, audit_id: uuid.UUID) -> AuditScore:
    """The audit's per-check results and score, computed from its stored evidence."""
    return score_audit(evidence_groups(s, audit_id))


def check_rows(s: Session, result: AuditScore) -> list[CheckRow]:
    """The rolled-up checks joined with their questions, worst first, then by weight."""
    questions = {
        q.key: q for q in s.exec(select(Question).where(Question.key.in_([c.key for c in result.checks])))
    }
    rows = [_row(c, questions[c.key]) for c in result.checks]
    rows.sort(key=lambda r: (_RESULT_RANK[r.result], -SEVERITY_WEIGHT[Severity(r.severity)], -r.failing,
                             r.question_key))
    return rows


def _row(check: CheckResult, q: Question) -> CheckRow:
    return CheckRow(
        question_key=check.key, title=q.title, provider=str(q.provider), service=q.service,
        severity=check.severity, result=check.result, failing=check.failing, total=check.total,
        resources_text=check.resources_text, resources=dict(check.resources), frameworks=q.frameworks or {},
    )


@dataclass(frozen=True)
class CheckFilter:
    """Which checks an audit page lists: a check's result (not its resources'), severity, provider,
    framework and a search in its key and title."""

    result: str | None = None
    severity: str | None = None
    provider: str | None = None
    framework: str | None = None
    needle: str = ""

    @classmethod
    def of(cls, result: EvidenceStatus | str | None = None, severity: Severity | str | None = None,
           provider: str | None = None, framework: str | None = None, search: str | None = None) -> CheckFilter:
        """The filter from what a caller typed; unknown values are their mistake, said as such."""
        try:
            wanted = EvidenceStatus(result).value if result else None
            wanted_severity = Severity(severity).value if severity else None
        except ValueError as exc:
            raise ValidationError(f"Unknown filter value: {exc}.") from None
        if framework and framework not in FRAMEWORKS:
            raise ValidationError(f"Unknown framework {framework!r}.", field="framework")
        return cls(wanted, wanted_severity, provider or None, framework or None, (search or "").strip().lower())

    def keeps(self, r: CheckRow) -> bool:
        return ((self.result is None or r.result == self.result)
                and (self.severity is None or r.severity == self.severity)
                and (not self.provider or r.provider == self.provider)
                and (not self.framework or self.framework in r.frameworks)
                and (not self.needle or self.needle in r.question_key.lower() or self.needle in r.title.lower()))


def list_check_results(
    actor: Actor,
    audit_id: uuid.UUID | str,
    result: EvidenceStatus | str | None = None,
    severity: Severity | str | None = None,
    provider: str | None = None,
    framework: str | None = None,
    search: str | None = None,
    page: int = 1,
    page_size: int = 25,
) -> Page[CheckRow]:
    """One row per check of the audit, filtered on the check's result (not its resources')."""
    page, page_size = _page_bounds(page, page_size)
    wanted = CheckFilter.of(result, severity, provider, framework, search)
    with session_scope() as s:
        audit = access_audit(s, actor, audit_id, Permission.READ)[0]
        return checks_in(s, audit, wanted, page, page_size)


def checks_in(s: Session, audit: Audit, wanted: CheckFilter, page: int, page_size: int) -> Page[CheckRow]:
    """list_check_results in the caller's transaction (the caller has authorized, checked the page)."""
    from compliance_app.services import audit_figures  # it builds on this module

    rows = [r for r in audit_figures.figures(s, audit).rows if wanted.keeps(r)]
    start = (page - 1) * page_size
    return Page(items=rows[start:start + page_size], total=len(rows), page=page, page_size=page_size)


def list_check_resources(
    actor: Actor,
    audit_id: uuid.UUID | str,
    question_key: str,
    status: EvidenceStatus | str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> Page[EvidenceRow]:
    """The resources (evidence rows) of one check of the audit, failures first (none for a key
    the audit has no row of)."""
    page, page_size = _page_bounds(page, page_size)
    try:
        wanted = EvidenceStatus(status) if status else None
    except ValueError:
        raise ValidationError(f"Unknown status {status!r}.", field="status") from None
    with session_scope() as s:
        audit = access_audit(s, actor, audit_id, Permission.READ)[0]
        conditions = [Evidence.audit_id == audit.id, Question.key == question_key]
        if wanted is not None:
            conditions.append(Evidence.status == wanted)
        total = s.exec(
            select(sa.func.count()).select_from(Evidence).join(Question, Question.id == Evidence.question_id)
            .where(*conditions)
        ).one()
        rows = s.exec(
            select(Evidence, Question)
            .join(Question, Question.id == Evidence.question_id)
            .where(*conditions)
            .order_by(*EVIDENCE_SORTS["status"], Evidence.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).all()
        return Page(items=evidence_rows(s, audit, rows), total=total, page=page, page_size=page_size)
