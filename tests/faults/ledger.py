""""Nothing lost", checked rather than assumed: what the database holds for an organization,
read before and after a fault and compared."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlmodel import func, select

from compliance_app.db import session_scope
from compliance_app.models import Audit, Evidence, ScanHistory


@dataclass(frozen=True)
class Ledger:
    #: Evidence rows per audit.
    evidence: dict[uuid.UUID, int]
    #: Evidence rows that repeat another row of the same audit (question, integration, resource, region).
    duplicates: int
    #: ScanHistory rows per day.
    history: dict[date, int]


def read_ledger(organization_id: uuid.UUID) -> Ledger:
    with session_scope() as s:
        evidence = dict(s.exec(
            select(Evidence.audit_id, func.count())
            .join(Audit, Audit.id == Evidence.audit_id)
            .where(Audit.organization_id == organization_id)
            .group_by(Evidence.audit_id)
        ).all())
        repeated = s.exec(
            select(func.count() - 1)
            .select_from(Evidence)
            .join(Audit, Audit.id == Evidence.audit_id)
            .where(Audit.organization_id == organization_id)
            .group_by(Evidence.audit_id, Evidence.question_id, Evidence.integration_id, Evidence.resource_id,
                      Evidence.region)
        ).all()
        history = dict(s.exec(
            select(ScanHistory.date, func.count())
            .where(ScanHistory.organization_id == organization_id)
            .group_by(ScanHistory.date)
        ).all())
    return Ledger(evidence, sum(repeated), history)


def audit(audit_id: uuid.UUID) -> Audit:
    with session_scope() as s:
        found = s.get(Audit, audit_id)
        assert found is not None
        return found


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(0.1)
