"""Idempotent demo data so a fresh `make run` has something to show.

The demo organization (flagged is_demo: never scheduled nor scanned, its figures are
sample data) gets one completed audit built from the real check catalog
(statuses chosen deterministically, proof marked as demo data) and 30 days of score
history. Running it again changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import select

from compliance_app.db import session_scope
from compliance_app.models import (
    Audit,
    AuditStatus,
    Evidence,
    EvidenceStatus,
    Membership,
    Organization,
    Role,
    ScanFrequency,
    ScanHistory,
    User,
)
from compliance_app.models.types import utcnow
from compliance_app.services.audit_queue import history_figures
from compliance_app.services.passwords import hash_password
from compliance_app.services.questions import sync_questions_in
from compliance_app.services.scoring import score_audit

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-compliance-2026"
DEMO_ORG_NAME = "Acme Demo"
DEMO_ORG_SLUG = "acme-demo"
_DEMO_STATUSES = (EvidenceStatus.PASS, EvidenceStatus.PASS, EvidenceStatus.FAIL, EvidenceStatus.PASS,
                  EvidenceStatus.ERROR, EvidenceStatus.PASS, EvidenceStatus.FAIL, EvidenceStatus.NOT_APPLICABLE)


@dataclass(frozen=True)
class DemoSummary:
    created: bool
    email: str
    password: str
    slug: str


def seed_demo() -> DemoSummary:
    with session_scope() as s:
        questions = sorted(
            (q for q in sync_questions_in(s).values() if q.is_active), key=lambda q: (q.provider, q.key)
        )
        existing = s.exec(select(Organization).where(Organization.slug == DEMO_ORG_SLUG)).first()
        if existing is not None:
            # Seeded before the flag existed: it still must never be scheduled nor scanned.
            existing.is_demo, existing.scan_frequency = True, ScanFrequency.OFF
            return DemoSummary(False, DEMO_EMAIL, DEMO_PASSWORD, DEMO_ORG_SLUG)
        user = s.exec(select(User).where(User.email == DEMO_EMAIL)).first()
        if user is None:
            user = User(email=DEMO_EMAIL, password_hash=hash_password(DEMO_PASSWORD), name="Demo Manager")
            s.add(user)
            s.flush()
        org = Organization(name=DEMO_ORG_NAME, slug=DEMO_ORG_SLUG, owner_id=user.id, is_demo=True,
                           scan_frequency=ScanFrequency.OFF)
        s.add(org)
        s.flush()
        s.add(Membership(user_id=user.id, organization_id=org.id, role=Role.ADMIN))

        now = utcnow()
        audit = Audit(
            organization_id=org.id,
            status=AuditStatus.COMPLETED,
            triggered_by_id=user.id,
            created_at=now - timedelta(minutes=5),
            started_at=now - timedelta(minutes=5),
            finished_at=now - timedelta(minutes=4),
        )
        s.add(audit)
        s.flush()
        picked = questions[::3][:24]
        rows = []
        for i, question in enumerate(picked):
            # The check's result on its first resource; its other resources pass (DESIGN.md §4:
            # one failing resource fails the check whatever the others say).
            status = _DEMO_STATUSES[i % len(_DEMO_STATUSES)]
            resources = 1 if status == EvidenceStatus.NOT_APPLICABLE else 1 + i % 4
            for n in range(resources):
                row_status = status if n == 0 else EvidenceStatus.PASS
                resource = f"demo-{question.service or question.provider}-{i + 1}-{n + 1}"
                rows.append(
                    Evidence(
                        audit_id=audit.id,
                        question_id=question.id,
                        status=row_status,
                        resource_id=resource,
                        message=f"{question.title}: {row_status.value.lower()} for {resource} (demo data)",
                        raw_data={"demo": True, "resource": resource, "observed": row_status.value},
                        remediation_steps=question.remediation if row_status == EvidenceStatus.FAIL else "",
                    )
                )
        s.add_all(rows)
        severity = {q.id: q.severity for q in picked}
        key = {q.id: q.key for q in picked}
        result = score_audit((key[e.question_id], severity[e.question_id], e.status, 1) for e in rows)
        audit.score, audit.counts, audit.check_counts = result.score, result.resource_counts, result.check_counts
        audit.progress_done = audit.progress_total = len(picked)

        # History that leads up to today's audit: the same checks, slowly improving.
        rng = random.Random(42)
        today = now.date()
        checks = audit.check_counts
        scoreable = result.scored
        for days_ago in range(30, 0, -1):
            failing = min(scoreable, checks["FAIL"] + days_ago // 6 + rng.randint(0, 1))
            s.add(
                ScanHistory(
                    organization_id=org.id,
                    date=today - timedelta(days=days_ago),
                    score=max(0, min(100, (audit.score or 50) - days_ago // 2 + rng.randint(-3, 3))),
                    total_pass=scoreable - failing,
                    total_fail=failing,
                    total_accepted=0,
                    total_error=checks["ERROR"] + rng.randint(0, 1),
                    total_not_applicable=checks["NOT_APPLICABLE"],
                    resources_passing=audit.counts["PASS"] - (failing - checks["FAIL"]),
                    resources_failing=audit.counts["FAIL"] + (failing - checks["FAIL"]),
                )
            )
        s.add(ScanHistory(organization_id=org.id, date=today, audit_id=audit.id, **history_figures(audit)))
    return DemoSummary(True, DEMO_EMAIL, DEMO_PASSWORD, DEMO_ORG_SLUG)


def demo_login() -> tuple[str, str] | None:
    """The demo account's email and password while the demo organization exists (seeded by
    `make run`, never in production), for the sign-in page to offer; None otherwise."""
    with session_scope() as s:
        seeded = s.exec(select(Organization.id).where(Organization.is_demo.is_(True)).limit(1)).first()
    return (DEMO_EMAIL, DEMO_PASSWORD) if seeded is not None else None
