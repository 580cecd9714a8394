"""Why an audit has no score, in one sentence the dashboard and the audits list both show.

A completed audit in which every check could not run (an integration unreachable, a token
revoked) scores nothing; "COMPLETED" with an empty score would read like success. The
sentence counts the checks that could not run and gives the commonest reason, taken from
the evidence rows the engine wrote (never a secret: those messages are already redacted).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from compliance_app.models import Audit, AuditStatus, Evidence, EvidenceStatus


def checks_could_not_run(n: int, reason: str) -> str:
    """'22 checks could not run: cannot reach GitHub at … — fix the integration.'"""
    reason = reason.strip().rstrip(".")
    reason = reason[:1].lower() + reason[1:] if reason[:2] != reason[:2].upper() else reason
    noun = "check" if n == 1 else "checks"
    return f"{n} {noun} could not run: {reason} — fix the integration."


def why_unscored(s: Session, audit: Audit) -> str | None:
    """None when the audit has a score (or has not finished); otherwise what happened."""
    if audit.status != AuditStatus.COMPLETED or audit.score is not None:
        return None
    errored = s.exec(
        select(sa.func.count(sa.distinct(Evidence.question_id)))
        .where(Evidence.audit_id == audit.id, Evidence.status == EvidenceStatus.ERROR)
    ).one()
    if not errored:
        return "Nothing was checked: no integration was connected when this scan ran."
    commonest = s.exec(
        select(Evidence.message, sa.func.count().label("n"))
        .where(Evidence.audit_id == audit.id, Evidence.status == EvidenceStatus.ERROR)
        .group_by(Evidence.message)
        .order_by(sa.text("n DESC"), Evidence.message)
        .limit(1)
    ).first()
    return checks_could_not_run(errored, commonest[0] if commonest else "the reason was not recorded")
