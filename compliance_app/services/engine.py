"""The scan engine: run every applicable check of an audit and store the evidence.

Checks run concurrently in a bounded thread pool per integration (they spend their time
waiting on GitHub and AWS, each integration on its own provider). Each check is wrapped:
an exception or a "could not read" becomes ERROR evidence with a readable reason, never
PASS, and never stops the other checks or providers. Evidence is written in batches
together with the progress counter, so the audit page can poll progress while the scan
runs. A heartbeat thread keeps the audit's lease alive; every write is fenced on the lease
(see audit_queue.py).

A lost database connection does not fail the audit: every write is retried with backoff
for up to one lease (db_retry.py); if the database stays away longer, the audit is left
RUNNING without another write, and the reaper re-queues it once its lease lapses.

Test/benchmark seam: settings.engine_override_module (env ENGINE_OVERRIDE_MODULE) names
a module exposing `CHECKS` (list of Check) and `open_sessions(organization_id)` (list of
(Provider, session)); when set, the engine uses them instead of the catalog and the
organization's stored integrations. Production never sets it.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from compliance_app.checks.base import Check, Finding
from compliance_app.checks.registry import all_checks
from compliance_app.db import session_scope
from compliance_app.db_retry import describe, is_connection_error, retry_database
from compliance_app.models import (
    Audit,
    AuditStatus,
    Evidence,
    EvidenceStatus,
    Provider,
    Question,
    RiskAcceptanceException,
)
from compliance_app.models.types import utcnow
from compliance_app.providers import callchain
from compliance_app.providers.base import CollectionError
from compliance_app.services import audit_queue, integrations
from compliance_app.services.questions import sync_questions_in
from compliance_app.settings import get_settings

log = logging.getLogger(__name__)

#: Flush evidence when this many rows are waiting, or this long after the last flush.
BATCH_ROWS = 50
BATCH_SECONDS = 0.5
_MAX_MESSAGE = 1000
_STATUSES = frozenset(EvidenceStatus)


class LeaseLost(RuntimeError):
    """The audit was re-queued or finished by someone else; stop without writing."""


@dataclass
class RunResult:
    audit_id: uuid.UUID
    status: AuditStatus
    score: int | None = None
    counts: dict[str, int] | None = None
    error: str | None = None


@dataclass
class Target:
    """One opened provider session (one integration) the applicable checks run against."""

    provider: Provider
    session: Any
    #: Set when the session could not be opened: every check of the provider becomes ERROR.
    error: str | None = None
    integration_id: uuid.UUID | None = None
    checks_run: int = 0
    checks_errored: int = 0


@dataclass
class _Task:
    check: Check
    target: Target


def _override_module() -> ModuleType | None:
    name = get_settings().engine_override_module
    return importlib.import_module(name) if name else None


def default_checks() -> list[Check]:
    override = _override_module()
    return list(override.CHECKS) if override else list(all_checks())


def open_targets(organization_id: uuid.UUID) -> list[Target]:
    """One target per integration of the organization; one that cannot be opened keeps its reason."""
    override = _override_module()
    if override is not None:
        return [Target(Provider(p), sess) for p, sess in override.open_sessions(organization_id)]
    return [
        Target(Provider(t.integration.provider), t.session, t.error, t.integration.id)
        for t in integrations.load_scan_sessions(organization_id)
    ]


def _coverage_of(target: Target) -> dict[str, Any]:
    """What one target's scan covered, as its session reports it (contract: no secrets)."""
    if target.error is not None:
        return {"provider": target.provider.value, "error": target.error}
    report = getattr(target.session, "coverage", None)
    if report is None:
        return {"provider": target.provider.value}
    try:
        return _json_safe(report())
    except Exception as exc:  # bookkeeping: a broken report must not fail the scan
        log.warning("coverage of %s failed", _scope(target), exc_info=True)
        return {"provider": target.provider.value, "error": f"Coverage unknown: {type(exc).__name__}"}


def coverage(targets: Sequence[Target]) -> dict[str, dict[str, Any]]:
    """Audit.scope: per integration (or per session scope for test sessions), what was scanned
    and what was skipped and why. Called once every check of the targets has run."""
    return {str(t.integration_id or _scope(t)): _coverage_of(t) for t in targets}


def _report_use(targets: Sequence[Target]) -> None:
    """Tell the Integrations page how each integration fared in this scan."""
    for target in targets:
        if target.integration_id is None:
            continue
        if target.error:
            status = target.error
        elif target.checks_errored:
            status = f"{target.checks_errored} of {target.checks_run} checks could not run"
        else:
            status = "ok"
        try:
            integrations.mark_used(target.integration_id, status)
        except Exception:  # bookkeeping only; never fail a finished scan over it
            log.warning("could not record use of integration %s", target.integration_id, exc_info=True)


def ensure_questions(checks: Sequence[Check]) -> dict[str, Question]:
    """Question rows for these checks: the catalog sync, plus any check outside it.

    Serialized across worker processes with an advisory lock on PostgreSQL so two workers
    starting together do not both insert the same new question.
    """
    with session_scope() as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('compliance_app.question_sync'))"))
        questions = sync_questions_in(s)
        for check in checks:
            meta = check.meta
            if meta.key not in questions:
                question = Question(
                    key=meta.key, title=meta.title, description=meta.description, provider=meta.provider,
                    service=meta.service, severity=meta.severity, frameworks=meta.frameworks,
                    rationale=meta.rationale, remediation=meta.remediation,
                )
                s.add(question)
                questions[meta.key] = question
        s.flush()
        return {c.meta.key: questions[c.meta.key] for c in checks}


def _risk_rules(organization_id: uuid.UUID) -> dict[int, list[str | None]]:
    """question_id → accepted resource ids (None = every resource), for exceptions in force."""
    now = utcnow()
    with session_scope() as s:
        rows = s.exec(
            select(RiskAcceptanceException).where(
                RiskAcceptanceException.organization_id == organization_id,
                RiskAcceptanceException.revoked_at.is_(None),
                RiskAcceptanceException.expires_at > now,
            )
        ).all()
    rules: dict[int, list[str | None]] = {}
    for rule in rows:
        rules.setdefault(rule.question_id, []).append(rule.resource_id)
    return rules


def is_accepted(rules: dict[int, list[str | None]], question_id: int, resource_id: str) -> bool:
    return any(r is None or r == resource_id for r in rules.get(question_id, ()))


def run_check(check: Check, session: Any, scope: str) -> list[Finding]:
    """Run one check; whatever goes wrong becomes one ERROR finding with the reason."""
    callchain.start_chain()  # pool threads are reused: a check's API calls do not follow the previous check's
    try:
        findings = check.run(session)
    except CollectionError as exc:
        return [Finding.error(scope, exc.reason)]
    except Exception as exc:
        log.warning("check %s raised %s: %s", check.meta.key, type(exc).__name__, exc)
        log.debug("check %s traceback", check.meta.key, exc_info=True)
        return [Finding.error(scope, f"The check could not run: {type(exc).__name__}: {exc}"[:_MAX_MESSAGE])]
    if findings is None:
        return [Finding.error(scope, "The check returned no result.")]
    findings = list(findings)
    bad = [f.status for f in findings if f.status not in _STATUSES]
    if bad:
        return [Finding.error(scope, f"The check reported an unknown status {bad[0]!r}.")]
    if not findings:  # nothing in scope: one row saying what that means for this check
        return [Finding.nothing_in_scope(check.meta, scope)]
    return findings


def _json_safe(data: Any) -> dict[str, Any]:
    """raw_data must be JSON; stringify what is not (datetimes, Decimals) rather than fail."""
    safe = json.loads(json.dumps(data, default=str))
    return safe if isinstance(safe, dict) else {"data": safe}


def _evidence(
    audit_id: uuid.UUID,
    check: Check,
    question: Question,
    finding: Finding,
    rules: dict[int, list[str | None]],
    integration_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """One evidence row's column values (audit_queue.save_results inserts them in bulk: an
    ORM object per resource cost more CPU than the scan's API calls)."""
    reported = EvidenceStatus(finding.status)
    status = reported
    if reported == EvidenceStatus.FAIL and is_accepted(rules, question.id, finding.resource_id):
        status = EvidenceStatus.RISK_ACCEPTED
    return {
        "audit_id": audit_id,
        "question_id": question.id,
        "integration_id": integration_id,
        "status": status,
        "original_status": reported,
        "resource_id": (finding.resource_id or "")[:500],
        "region": finding.region,
        "message": (finding.message or "")[:_MAX_MESSAGE],
        "raw_data": _json_safe(finding.raw_data),
        "remediation_steps": check.meta.remediation if reported == EvidenceStatus.FAIL else "",
        "created_at": utcnow(),
    }


def _retrying(fn: Callable[[], Any], what: str, stop: threading.Event | None = None) -> Any:
    """A fenced queue write, retried across connection losses for up to one lease: past
    that the reaper may have re-queued the audit, and the fence makes the write a no-op."""
    return retry_database(fn, what=what, budget=get_settings().audit_lease_seconds, stop=stop)


def _scope(target: Target) -> str:
    return str(getattr(target.session, "scope", None) or target.provider.value)


def _plan(checks: Sequence[Check], targets: Iterable[Target]) -> list[_Task]:
    """Every check against every target of its provider; providers without a target are skipped."""
    return [_Task(check, t) for t in targets for check in checks if check.meta.provider == t.provider]


def _previous_sizes(organization_id: uuid.UUID, exclude: uuid.UUID) -> dict[int, int]:
    """question_id → evidence rows in the organization's latest completed audit (empty if none)."""
    latest = (
        select(Audit.id)
        .where(Audit.organization_id == organization_id, Audit.status == AuditStatus.COMPLETED,
               Audit.id != exclude)
        .order_by(Audit.finished_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    with session_scope() as s:
        rows = s.exec(
            select(Evidence.question_id, sa.func.count()).where(Evidence.audit_id == latest)
            .group_by(Evidence.question_id)
        ).all()
    return dict(rows)


def _largest_first(tasks: list[_Task], sizes: dict[int, int], questions: dict[str, Question]) -> list[_Task]:
    """The tasks ordered by how many resources each check looked at last time, most first (ties and
    checks never run before keep the catalog's order).

    A check over many resources makes a call per resource (S3's five reads per bucket, IAM's per
    user): started last, as the catalog's alphabetical order put them, they ran alone at the end
    of the scan while the pool's other slots sat idle (bench scan_latency timeline: the S3 reads
    began 4.5 s into a 9 s scan). Longest jobs first is the classic remedy; last audit's evidence
    rows per check stand in for the length, which they track for these checks.
    """
    return sorted(tasks, key=lambda t: -sizes.get(questions[t.check.meta.key].id or 0, 0))


class _Heartbeat(threading.Thread):
    """Extends the lease every third of its length; flags `lost` if the audit is taken away."""

    def __init__(self, audit_id: uuid.UUID, worker_id: str) -> None:
        super().__init__(name=f"heartbeat-{audit_id}", daemon=True)
        self.audit_id, self.worker_id = audit_id, worker_id
        self.lost = threading.Event()
        self._done = threading.Event()
        self.interval = max(0.5, get_settings().audit_lease_seconds / 3)

    def run(self) -> None:
        while not self._done.wait(self.interval):
            try:
                if not audit_queue.heartbeat(self.audit_id, self.worker_id):
                    self.lost.set()
                    return
            except Exception as exc:  # a database blip: try again at the next beat, the lease has slack
                if is_connection_error(exc):
                    log.warning("heartbeat for audit %s: database unavailable (%s)", self.audit_id, describe(exc))
                else:
                    log.warning("heartbeat for audit %s failed", self.audit_id, exc_info=True)

    def stop(self) -> None:
        self._done.set()


def run_audit(
    audit_id: uuid.UUID,
    worker_id: str,
    checks: Sequence[Check] | None = None,
    sessions: Iterable[tuple[Provider, Any]] | None = None,
    *,
    concurrency: int | None = None,
    stop: threading.Event | None = None,
) -> RunResult | None:
    """Run a claimed (RUNNING, ours) audit to COMPLETED or FAILED.

    `checks` and `sessions` ((Provider, session) pairs) default to the catalog and the
    organization's integrations. Returns None when the audit was released (`stop` set,
    graceful shutdown) or taken away (lease lost); nothing more is written then.
    """
    with session_scope() as s:
        audit = s.get(Audit, audit_id)
        if audit is None or audit.status != AuditStatus.RUNNING or audit.worker_id != worker_id:
            return None
        organization_id = audit.organization_id
    heartbeat = _Heartbeat(audit_id, worker_id)
    heartbeat.start()
    try:
        if not _execute(audit_id, organization_id, worker_id, checks, sessions, concurrency, stop, heartbeat):
            audit_queue.release(audit_id, worker_id)
            log.info("audit %s released by %s", audit_id, worker_id)
            return None
        done = _retrying(lambda: audit_queue.complete(audit_id, worker_id), f"audit {audit_id}: completing")
        if done is None:
            raise LeaseLost
        return RunResult(audit_id, AuditStatus.COMPLETED, done.score, done.counts)
    except LeaseLost:
        log.warning("audit %s: lease lost by %s, results discarded", audit_id, worker_id)
        return None
    except Exception as exc:
        if is_connection_error(exc):  # writing FAILED would need the database too; the reaper re-queues it
            log.error("audit %s: database unavailable (%s); left for the reaper to re-queue when its lease "
                      "lapses", audit_id, describe(exc))
            return None
        log.exception("audit %s failed", audit_id)
        message = f"The scan failed: {type(exc).__name__}: {exc}"[:_MAX_MESSAGE]
        audit_queue.fail(audit_id, worker_id, message)
        return RunResult(audit_id, AuditStatus.FAILED, error=message)
    finally:
        heartbeat.stop()


def _execute(
    audit_id: uuid.UUID,
    organization_id: uuid.UUID,
    worker_id: str,
    checks: Sequence[Check] | None,
    sessions: Iterable[tuple[Provider, Any]] | None,
    concurrency: int | None,
    stop: threading.Event | None,
    heartbeat: _Heartbeat,
) -> bool:
    """Run the tasks and write evidence; False if stopped (to be released). Raises LeaseLost."""
    checks = list(checks) if checks is not None else default_checks()
    questions = ensure_questions(checks)
    targets = (
        [Target(Provider(p), sess) for p, sess in sessions]
        if sessions is not None
        else open_targets(organization_id)
    )
    tasks = _largest_first(_plan(checks, targets), _previous_sizes(organization_id, audit_id), questions)
    rules = _risk_rules(organization_id)
    if not _retrying(lambda: audit_queue.begin_run(audit_id, worker_id, len(tasks)), f"audit {audit_id}: starting"):
        raise LeaseLost
    pending_rows: list[dict[str, Any]] = []
    done = 0
    last_check: str | None = None
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal pending_rows, last_flush
        batch, batch_done = pending_rows, done
        saved = _retrying(lambda: audit_queue.save_results(audit_id, worker_id, batch, batch_done, last_check),
                          f"audit {audit_id}: saving evidence", stop)
        if not saved:
            raise LeaseLost
        pending_rows, last_flush = [], time.monotonic()

    def collect(task: _Task, findings: list[Finding]) -> None:
        nonlocal done, last_check
        question = questions[task.check.meta.key]
        integration_id = task.target.integration_id
        pending_rows.extend(_evidence(audit_id, task.check, question, f, rules, integration_id) for f in findings)
        task.target.checks_run += 1
        task.target.checks_errored += any(f.status == EvidenceStatus.ERROR for f in findings)
        done += 1
        last_check = task.check.meta.key

    workers = max(1, concurrency or get_settings().check_concurrency)
    # A pool per target: each integration's checks wait on their own provider, so GitHub's
    # start at once beside AWS's instead of queueing behind them (its bounded request pool
    # would then run alone at the end of the scan instead of under the AWS work).
    pools = {id(t): ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"audit-{str(audit_id)[:8]}-{i}")
             for i, t in enumerate(targets)}
    try:
        futures: dict[Future, _Task] = {}
        for task in tasks:
            if task.target.error is not None:
                collect(task, [Finding.error(task.target.provider.value, task.target.error)])
            else:
                pool = pools[id(task.target)]
                futures[pool.submit(run_check, task.check, task.target.session, _scope(task.target))] = task
        waiting = set(futures)
        while waiting:
            finished, waiting = wait(waiting, timeout=BATCH_SECONDS, return_when=FIRST_COMPLETED)
            for future in finished:
                collect(futures[future], future.result())
            if (stop is not None and stop.is_set()) or heartbeat.lost.is_set():
                for future in waiting:
                    future.cancel()
                if heartbeat.lost.is_set():
                    raise LeaseLost
                return False
            if len(pending_rows) >= BATCH_ROWS or time.monotonic() - last_flush >= BATCH_SECONDS:
                flush()
        flush()
    finally:
        for pool in pools.values():
            pool.shutdown(wait=False, cancel_futures=True)
    scope = coverage(targets)
    if sessions is None:  # opened here: free their thread pools, clients and collected data now
        _close_sessions(targets)
    if not _retrying(lambda: audit_queue.save_scope(audit_id, worker_id, scope), f"audit {audit_id}: saving scope"):
        raise LeaseLost
    _report_use(targets)
    return True


def _close_sessions(targets: Sequence[Target]) -> None:
    """A long-running worker must not keep each audit's provider pools and caches alive."""
    for target in targets:
        close = getattr(target.session, "close", None)
        if close is None:
            continue
        try:
            close()
        except Exception:  # bookkeeping: the results are already saved
            log.warning("closing the session of %s failed", _scope(target), exc_info=True)

