"""The audit queue the worker processes share: claim, lease, progress, completion, reaping.

These are system functions (no actor): only the worker and the operator CLI call them.
Every write on a RUNNING audit is fenced on (status RUNNING, worker_id = caller), taken
with a row lock, so a worker that lost its lease (it stalled and the reaper re-queued its
audit) can never write evidence into, complete, or fail an audit another worker now runs.

Claiming uses `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so any number of worker
processes share the queue without ever taking the same audit; on SQLite (one-machine
trial, writers serialized by the database) a guarded `UPDATE … WHERE status='PENDING'`.

Time comes from the database on PostgreSQL (`now()`, see db_now): workers on several
machines compare leases and schedules, and one whose clock runs behind must neither
write leases that others already consider lapsed nor stamp audits into the past.

The worker retries these writes when the connection drops (db_retry.py); each one is
safe to repeat, including when its first commit landed but the acknowledgement was lost.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from compliance_app.db import session_scope
from compliance_app.models import (
    Audit,
    AuditStatus,
    Evidence,
    EvidenceStatus,
    Integration,
    Organization,
    ScanFrequency,
    ScanHistory,
)
from compliance_app.models.types import utcnow
from compliance_app.services import audit_diff, notifications, plans
from compliance_app.services.check_results import audit_score
from compliance_app.services.scoring import AuditScore
from compliance_app.settings import get_settings

log = logging.getLogger(__name__)

SCAN_INTERVALS = {
    ScanFrequency.HOURLY: timedelta(hours=1),
    ScanFrequency.DAILY: timedelta(days=1),
    ScanFrequency.WEEKLY: timedelta(days=7),
}
#: The enqueue job runs every minute; without this slack a daily scan would drift later by
#: up to a minute each day.
SCHEDULE_SLACK = timedelta(minutes=1)


def _lease_until(now: datetime) -> datetime:
    return now + timedelta(seconds=get_settings().audit_lease_seconds)


def _is_postgres(s: Session) -> bool:
    return s.get_bind().dialect.name == "postgresql"


def db_now(s: Session) -> datetime:
    """The database's clock on PostgreSQL (one clock for every worker, whatever theirs say);
    this process's clock on SQLite, where every process runs on the one machine."""
    if _is_postgres(s):
        return s.execute(sa.select(sa.func.now())).scalar_one().astimezone(UTC)
    return utcnow()


def _start(audit: Audit, worker_id: str, now: datetime) -> None:
    audit.status = AuditStatus.RUNNING
    audit.started_at = now
    audit.attempts += 1
    audit.worker_id = worker_id
    audit.lease_expires_at = _lease_until(now)
    audit.progress_done = 0
    audit.current_check = None


def claim_next_audit(worker_id: str) -> uuid.UUID | None:
    """Take the oldest PENDING audit for this worker, or None when the queue is empty."""
    with session_scope() as s:
        if _is_postgres(s):
            audit = s.exec(
                select(Audit)
                .where(Audit.status == AuditStatus.PENDING)
                .order_by(Audit.created_at)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if audit is None:
                return None
            _start(audit, worker_id, db_now(s))
            return audit.id
    # SQLite: no row locks; the status guard makes a lost race a no-op, then try the next one.
    for _ in range(5):
        with session_scope() as s:
            candidate = s.exec(
                select(Audit.id).where(Audit.status == AuditStatus.PENDING).order_by(Audit.created_at)
            ).first()
            if candidate is None:
                return None
            if claim_audit_in(s, candidate, worker_id):
                return candidate
    return None


def claim_audit(audit_id: uuid.UUID, worker_id: str) -> bool:
    """Claim one given PENDING audit (the CLI's `scan --wait` when no worker took it)."""
    with session_scope() as s:
        return claim_audit_in(s, audit_id, worker_id)


def claim_audit_in(s: Session, audit_id: uuid.UUID, worker_id: str) -> bool:
    now = db_now(s)
    result = s.execute(
        sa.update(Audit)
        .where(Audit.id == audit_id, Audit.status == AuditStatus.PENDING)
        .values(
            status=AuditStatus.RUNNING,
            started_at=now,
            attempts=Audit.attempts + 1,
            worker_id=worker_id,
            lease_expires_at=_lease_until(now),
            progress_done=0,
            current_check=None,
        )
    )
    return result.rowcount == 1


def owned_audit(s: Session, audit_id: uuid.UUID, worker_id: str) -> Audit | None:
    """The audit, row-locked, if this worker still holds it; the fence for every write."""
    return s.exec(
        select(Audit)
        .where(Audit.id == audit_id, Audit.status == AuditStatus.RUNNING, Audit.worker_id == worker_id)
        .with_for_update()
    ).first()


def heartbeat(audit_id: uuid.UUID, worker_id: str) -> bool:
    """Extend the lease; False means the audit is no longer ours (re-queued or finished)."""
    with session_scope() as s:
        result = s.execute(
            sa.update(Audit)
            .where(Audit.id == audit_id, Audit.status == AuditStatus.RUNNING, Audit.worker_id == worker_id)
            .values(lease_expires_at=_lease_until(db_now(s)))
        )
        return result.rowcount == 1


def begin_run(audit_id: uuid.UUID, worker_id: str, total: int) -> bool:
    """Set the number of checks and drop evidence a previous, dead attempt left behind."""
    with session_scope() as s:
        audit = owned_audit(s, audit_id, worker_id)
        if audit is None:
            return False
        s.execute(sa.delete(Evidence).where(Evidence.audit_id == audit_id))
        audit.progress_total = total
        audit.progress_done = 0
        audit.lease_expires_at = _lease_until(db_now(s))
        return True


def save_results(
    audit_id: uuid.UUID, worker_id: str, evidence: Sequence[Mapping[str, Any]], done: int, current_check: str | None
) -> bool:
    """Write a batch of evidence rows (column values, every row the same columns) and the
    progress counter in one fenced transaction.

    The rows go in as one executemany (psycopg pipelines it), not as ORM objects: building
    and flushing an object per resource was most of the worker's CPU on a large account.

    Safe to retry: `done` grows with every batch that holds rows, so a batch whose commit
    landed although its caller saw the connection drop is recognised and not written twice.
    """
    with session_scope() as s:
        audit = owned_audit(s, audit_id, worker_id)
        if audit is None:
            return False
        if evidence and audit.progress_done >= done:
            return True
        if evidence:
            s.execute(sa.insert(Evidence.__table__), list(evidence))
        audit.progress_done = done
        audit.current_check = current_check[:120] if current_check else None
        audit.lease_expires_at = _lease_until(db_now(s))
        return True


def save_scope(audit_id: uuid.UUID, worker_id: str, scope: dict[str, Any]) -> bool:
    """Record what the scan covered (engine.coverage) on the audit, fenced like evidence."""
    with session_scope() as s:
        audit = owned_audit(s, audit_id, worker_id)
        if audit is None:
            return False
        audit.scope = scope
        return True


def rescore(s: Session, audit: Audit) -> AuditScore:
    """Recompute score, check counts and resource counts from the stored evidence
    (completion, risk acceptance), the audit's ScanHistory point if it has one, and its
    recorded changes (a risk accepted on a completed audit moves its check to 'accepted')."""
    result = audit_score(s, audit.id)
    audit.score = result.score
    audit.counts = result.resource_counts
    audit.check_counts = result.check_counts
    s.execute(sa.update(ScanHistory).where(ScanHistory.audit_id == audit.id).values(**history_figures(audit)))
    if audit.changes is not None:
        s.flush()
        audit_diff.record_changes(s, audit)
    return result


def history_figures(audit: Audit) -> dict[str, Any]:
    """ScanHistory's figures of an audit: checks per result, resources beside them."""
    checks, resources = audit.check_counts or {}, audit.counts or {}
    return {
        "score": audit.score,
        "total_pass": checks.get(EvidenceStatus.PASS.value, 0),
        "total_fail": checks.get(EvidenceStatus.FAIL.value, 0),
        "total_accepted": checks.get(EvidenceStatus.RISK_ACCEPTED.value, 0),
        "total_error": checks.get(EvidenceStatus.ERROR.value, 0),
        "total_not_applicable": checks.get(EvidenceStatus.NOT_APPLICABLE.value, 0),
        "resources_passing": resources.get(EvidenceStatus.PASS.value, 0)
        + resources.get(EvidenceStatus.RISK_ACCEPTED.value, 0),
        "resources_failing": resources.get(EvidenceStatus.FAIL.value, 0),
    }


def complete(audit_id: uuid.UUID, worker_id: str) -> Audit | None:
    """Score the audit, mark it COMPLETED, record the day's ScanHistory point and what changed
    since the previous completed audit (audit_diff.record_changes), and queue the notifications
    it calls for (notifications.enqueue_for_audit: outbox rows only), all in one transaction.

    Safe to retry: an audit this worker already completed (the first commit landed, its
    acknowledgement was lost) is returned as it is.
    """
    with session_scope() as s:
        audit = owned_audit(s, audit_id, worker_id)
        if audit is None:
            return s.exec(
                select(Audit).where(
                    Audit.id == audit_id, Audit.status == AuditStatus.COMPLETED, Audit.worker_id == worker_id
                )
            ).first()
        rescore(s, audit)
        now = db_now(s)
        audit.status = AuditStatus.COMPLETED
        audit.finished_at = now
        audit.lease_expires_at = None
        audit.current_check = None
        audit.error = None
        s.flush()
        upsert_scan_history(s, audit)
        audit_diff.record_changes(s, audit)
        notifications.enqueue_for_audit(s, audit)
        return audit


def fail(audit_id: uuid.UUID, worker_id: str, error: str) -> bool:
    with session_scope() as s:
        audit = owned_audit(s, audit_id, worker_id)
        if audit is None:
            return False
        audit.status = AuditStatus.FAILED
        audit.finished_at = db_now(s)
        audit.lease_expires_at = None
        audit.error = error[:2000]
        notifications.enqueue_for_audit(s, audit)
        return True


def release(audit_id: uuid.UUID, worker_id: str) -> bool:
    """Hand the audit back to the queue (graceful shutdown); it does not count as an attempt."""
    with session_scope() as s:
        audit = owned_audit(s, audit_id, worker_id)
        if audit is None:
            return False
        audit.status = AuditStatus.PENDING
        audit.attempts = max(0, audit.attempts - 1)
        audit.worker_id = None
        audit.lease_expires_at = None
        audit.started_at = None
        audit.progress_done = 0
        audit.current_check = None
        return True


def upsert_scan_history(s: Session, audit: Audit) -> None:
    """One row per (organization, UTC day); the audit that finished last that day wins.

    INSERT … ON CONFLICT DO UPDATE, guarded by updated_at, so two workers completing
    audits of the same organization on the same day cannot leave the older figures.
    """
    assert audit.finished_at is not None
    values = {
        "organization_id": audit.organization_id,
        "date": audit.finished_at.date(),
        **history_figures(audit),
        "audit_id": audit.id,
        "updated_at": audit.finished_at,
    }
    table = ScanHistory.__table__
    stmt = _insert_for(s)(table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.organization_id, table.c.date],
        set_={k: stmt.excluded[k] for k in values if k not in ("organization_id", "date")},
        where=table.c.updated_at <= stmt.excluded.updated_at,
    )
    s.execute(stmt)


@dataclass
class ReapResult:
    requeued: list[uuid.UUID] = field(default_factory=list)
    failed: list[uuid.UUID] = field(default_factory=list)


def reap_expired_leases(now: datetime | None = None) -> ReapResult:
    """RUNNING audits whose worker stopped heart-beating: re-queue, or fail after N attempts."""
    max_attempts = get_settings().audit_max_attempts
    result = ReapResult()
    with session_scope() as s:
        now = now or db_now(s)
        expired = s.exec(
            select(Audit)
            .where(Audit.status == AuditStatus.RUNNING, Audit.lease_expires_at < now)
            .with_for_update(skip_locked=True)
        ).all()
        for audit in expired:
            lost = audit.worker_id
            audit.worker_id = None
            audit.lease_expires_at = None
            audit.current_check = None
            if audit.attempts >= max_attempts:
                audit.status = AuditStatus.FAILED
                audit.finished_at = now
                audit.error = (
                    f"The worker running this audit stopped responding ({lost}); "
                    f"gave up after {audit.attempts} attempts."
                )
                result.failed.append(audit.id)
                notifications.enqueue_for_audit(s, audit)
            else:
                audit.status = AuditStatus.PENDING
                result.requeued.append(audit.id)
            log.warning("audit %s: lease of %s expired, %s", audit.id, lost, audit.status)
    return result


def enqueue_due_scans(now: datetime | None = None) -> list[uuid.UUID]:
    """Queue a scheduled audit for every organization whose schedule says it is due.

    Due = the schedule its plan allows (plans.effective_scan_frequency: a downgraded hourly
    schedule runs daily) is not off, the organization has at least one integration (a
    scheduled audit with nothing to scan would only add empty audits and null points to
    the trend chart; a person can still run one by hand), and its latest audit was
    created at least one interval ago. The partial unique index makes this idempotent
    when several worker processes run the job at once.
    """
    last_audit = (
        select(Audit.organization_id, sa.func.max(Audit.created_at).label("last"))
        .group_by(Audit.organization_id)
        .subquery()
    )
    created: list[uuid.UUID] = []
    with session_scope() as s:
        now = now or db_now(s)
        rows = s.execute(
            select(Organization, last_audit.c.last)
            .outerjoin(last_audit, last_audit.c.organization_id == Organization.id)
            .where(
                Organization.scan_frequency != ScanFrequency.OFF,
                sa.exists().where(Integration.organization_id == Organization.id),
            )
        ).all()
        insert = _insert_for(s)
        for organization, last in rows:
            frequency = plans.effective_scan_frequency(organization)
            if frequency == ScanFrequency.OFF:
                continue
            if last is not None and last > now - SCAN_INTERVALS[frequency] + SCHEDULE_SLACK:
                continue
            table = Audit.__table__
            stmt = (
                insert(table)
                .values(id=uuid.uuid4(), organization_id=organization.id, status=AuditStatus.PENDING.value,
                        created_at=now, counts={})
                .on_conflict_do_nothing(
                    index_elements=[table.c.organization_id],
                    index_where=table.c.status.in_(["PENDING", "RUNNING"]),
                )
                .returning(table.c.id)
            )
            inserted = s.execute(stmt).scalar()
            if inserted is not None:
                created.append(inserted)
    return created


def _insert_for(s: Session) -> Any:
    """INSERT with ON CONFLICT support for the session's dialect."""
    if _is_postgres(s):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert
