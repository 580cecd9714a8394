"""Helpers shared by the scan tests: run an audit in-process with the fake checks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlmodel import select

from compliance_app.checks.base import Check
from compliance_app.db import session_scope
from compliance_app.models import Audit, Evidence, Organization, Provider, Question
from compliance_app.services import audit_queue, engine
from compliance_app.services.authz import Actor
from compliance_app.services.scans import request_scan
from tests.scans import fake_checks

WORKER = "test-host:1"


def run_scan(
    org: Organization,
    checks: Sequence[Check] | None = None,
    sessions: Sequence[tuple[Provider, Any]] | None = None,
) -> Audit:
    """Queue, claim and run an audit for `org` in this process; returns the stored audit."""
    audit = request_scan(Actor.system("test"), org.id)
    assert audit_queue.claim_audit(audit.id, WORKER)
    engine.run_audit(
        audit.id,
        WORKER,
        checks=fake_checks.CHECKS if checks is None else checks,
        sessions=[(Provider.GITHUB, fake_checks.FakeSession())] if sessions is None else sessions,
    )
    return load_audit(audit.id)


def run_stored_scan(org: Organization, checks: Sequence[Check]) -> Audit:
    """Like run_scan, against the organization's stored integrations (engine.open_targets)."""
    audit = request_scan(Actor.system("test"), org.id)
    assert audit_queue.claim_audit(audit.id, WORKER)
    engine.run_audit(audit.id, WORKER, checks=checks)
    return load_audit(audit.id)


def load_audit(audit_id: uuid.UUID) -> Audit:
    with session_scope() as s:
        return s.get(Audit, audit_id)


def evidence_of(audit_id: uuid.UUID) -> list[tuple[str, str, Evidence]]:
    """(question key, resource id, evidence) sorted, for readable assertions."""
    with session_scope() as s:
        rows = s.exec(
            select(Question.key, Evidence)
            .join(Question, Question.id == Evidence.question_id)
            .where(Evidence.audit_id == audit_id)
        ).all()
    return sorted(((key, e.resource_id, e) for key, e in rows), key=lambda r: (r[0], r[1]))
