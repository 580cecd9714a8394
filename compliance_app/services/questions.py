"""The Question table mirrors the check catalog in code (upsert by key)."""

from __future__ import annotations

from sqlmodel import Session, select

from compliance_app.checks.registry import all_checks
from compliance_app.db import session_scope
from compliance_app.models import Provider, Question
from compliance_app.models.types import utcnow


def sync_questions_in(session: Session) -> dict[str, Question]:
    """Insert new checks, update changed metadata, deactivate removed ones; returns key→Question."""
    existing = {q.key: q for q in session.exec(select(Question)).all()}
    catalog_keys = set()
    for check in all_checks():
        meta = check.meta
        catalog_keys.add(meta.key)
        values = {
            "title": meta.title,
            "description": meta.description,
            "provider": meta.provider,
            "service": meta.service,
            "severity": meta.severity,
            "frameworks": meta.frameworks,
            "rationale": meta.rationale,
            "remediation": meta.remediation,
            "is_active": True,
        }
        question = existing.get(meta.key)
        if question is None:
            question = Question(key=meta.key, **values)
            session.add(question)
            existing[meta.key] = question
        elif any(getattr(question, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(question, k, v)
            question.updated_at = utcnow()
    for key, question in existing.items():
        if key not in catalog_keys and question.is_active:
            question.is_active = False
    session.flush()
    return existing


def sync_questions() -> int:
    """Sync and return the number of active questions (called by migrations-time seed and worker)."""
    with session_scope() as s:
        return sum(1 for q in sync_questions_in(s).values() if q.is_active)


def list_questions(provider: Provider | None = None) -> list[Question]:
    """The catalog is public product documentation: no organization, no authorization."""
    with session_scope() as s:
        stmt = select(Question).where(Question.is_active == True)  # noqa: E712
        if provider is not None:
            stmt = stmt.where(Question.provider == provider)
        return list(s.exec(stmt.order_by(Question.provider, Question.key)).all())
