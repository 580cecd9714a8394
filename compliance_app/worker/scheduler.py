"""One worker process: periodic jobs on an APScheduler 3 BackgroundScheduler, and a main
loop that claims queued audits and runs them one at a time.

Run as many processes as needed (`python -m compliance_app worker`): they share the queue
through PostgreSQL (claims use FOR UPDATE SKIP LOCKED), and every periodic job is
idempotent, so it does not matter that each process schedules its own copy.

SIGTERM/SIGINT: stop claiming, release the audit in progress back to PENDING (another
worker picks it up; no attempt is counted), and exit 0.

The database going away does not end the process: claims back off while it is
unreachable, the audit in progress retries its writes (services/engine.py), and the
pool's pre-ping replaces dropped connections once it is back.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import socket
import threading
import time
import uuid
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler

from compliance_app import gc_tuning
from compliance_app.db_retry import MAX_DELAY, describe, is_connection_error
from compliance_app.models.types import utcnow
from compliance_app.services import accounts, audit_queue, engine, notification_delivery, notifications
from compliance_app.settings import get_settings

log = logging.getLogger("compliance_app.worker")
#: How often each worker looks for notifications to deliver.
NOTIFICATION_POLL_SECONDS = 5


def default_worker_id() -> str:
    """Unique per process across machines; shown on audits so operators know who ran what."""
    return f"{socket.gethostname()}:{os.getpid()}"


def enqueue_due_job() -> None:
    created = audit_queue.enqueue_due_scans()
    if created:
        log.info("queued %d scheduled audit(s)", len(created))


def reap_job() -> None:
    result = audit_queue.reap_expired_leases()
    if result.requeued or result.failed:
        log.warning("reaper: %d re-queued, %d failed", len(result.requeued), len(result.failed))


def retention_job() -> None:
    """Snapshot retention lives with the snapshots service; skipped if that is not installed."""
    try:
        snapshots = importlib.import_module("compliance_app.services.snapshots")
    except ImportError:
        return
    apply_retention = getattr(snapshots, "apply_retention", None)
    if apply_retention is not None:
        deleted = apply_retention()
        if deleted:
            log.info("retention: deleted %d snapshot(s)", deleted)


def account_housekeeping_job() -> None:
    """Drop login failures that left the throttling window and sessions that can no longer be used.

    Neither is needed for correctness (lookups already ignore them); it keeps both tables small.
    """
    attempts = accounts.prune_login_attempts()
    sessions = accounts.prune_expired_sessions()
    if attempts or sessions:
        log.info("housekeeping: pruned %d login attempt(s), %d session(s)", attempts, sessions)


def notification_job(worker_id: str) -> None:
    """Deliver due notifications (outbox rows are claimed with SKIP LOCKED: workers share them).

    It runs on the scheduler's thread, beside the audit loop: a slow or failing mail server
    or webhook never delays a scan.
    """
    sent = notification_delivery.deliver_due(worker_id)
    if sent:
        log.info("notifications: %d delivery attempt(s)", sent)


def reminder_job() -> None:
    """Queue risk-expiry and proof-expiry reminders and due weekly digests (deduplicated in the outbox)."""
    queued = notifications.enqueue_reminders()
    if queued:
        log.info("notifications: queued %d reminder(s)", queued)


def reap_interval_seconds() -> float:
    """Every 30 s, or faster when the lease is shorter, so a dead worker's audit waits < 1.5 leases."""
    return max(1.0, min(30.0, get_settings().audit_lease_seconds / 2))


def build_scheduler(now: datetime | None = None, worker_id: str | None = None) -> BackgroundScheduler:
    now = now or utcnow()
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"max_instances": 1, "coalesce": True})
    common = {"replace_existing": True, "max_instances": 1, "coalesce": True}
    scheduler.add_job(enqueue_due_job, "interval", minutes=1, id="enqueue_due", next_run_time=now,
                      misfire_grace_time=30, **common)
    scheduler.add_job(reap_job, "interval", seconds=reap_interval_seconds(), id="reap", next_run_time=now,
                      misfire_grace_time=10, **common)
    scheduler.add_job(retention_job, "interval", hours=1, id="snapshot_retention", misfire_grace_time=600,
                      **common)
    scheduler.add_job(account_housekeeping_job, "interval", hours=1, id="account_housekeeping",
                      misfire_grace_time=600, **common)
    scheduler.add_job(notification_job, "interval", seconds=NOTIFICATION_POLL_SECONDS, id="notifications",
                      args=[worker_id or default_worker_id()], next_run_time=now, misfire_grace_time=30, **common)
    scheduler.add_job(reminder_job, "interval", minutes=1, id="notification_reminders", next_run_time=now,
                      misfire_grace_time=60, **common)
    return scheduler


class Worker:
    """Claims and runs audits until `stop` is set; the periodic jobs run beside it."""

    def __init__(self, worker_id: str | None = None) -> None:
        self.worker_id = worker_id or default_worker_id()
        self.stop = threading.Event()
        #: Extra wait before the next claim while the database is unreachable (0 when it answers).
        self.backoff = 0.0

    def install_signal_handlers(self) -> None:
        def _handle(signum: int, _frame: object) -> None:
            log.info("worker %s: %s received, finishing up", self.worker_id, signal.Signals(signum).name)
            self.stop.set()

        signal.signal(signal.SIGTERM, _handle)
        signal.signal(signal.SIGINT, _handle)

    def run(self) -> int:
        poll = get_settings().worker_poll_seconds
        # Load the catalog (and sync it into Question) before taking work, so the first audit
        # does not pay for importing every check module and its SDK.
        engine.ensure_questions(engine.default_checks())
        gc_tuning.tune()
        scheduler = build_scheduler(worker_id=self.worker_id)
        scheduler.start()
        log.info("worker %s ready (poll %.1fs)", self.worker_id, poll)
        try:
            while not self.stop.is_set():
                if not self.run_next():
                    self.stop.wait(poll + self.backoff)
        finally:
            scheduler.shutdown(wait=False)
            log.info("worker %s stopped", self.worker_id)
        return 0

    def run_next(self) -> bool:
        """Claim and run one audit; False when there was nothing to do (or the database hiccuped).

        Never raises: whatever one audit meets, the worker lives on to take the next.
        """
        try:
            audit_id = audit_queue.claim_next_audit(self.worker_id)
        except Exception as exc:
            if not is_connection_error(exc):
                log.exception("worker %s: could not claim an audit", self.worker_id)
                return False
            self.backoff = min(MAX_DELAY, max(0.5, self.backoff * 2))
            log.warning("worker %s: database unavailable (%s); next try in %.1f s", self.worker_id,
                        describe(exc), get_settings().worker_poll_seconds + self.backoff)
            return False
        if self.backoff:
            log.info("worker %s: database reachable again", self.worker_id)
            self.backoff = 0.0
        if audit_id is None:
            return False
        try:
            self.run_audit(audit_id)
        except Exception as exc:  # e.g. the connection lost while loading it: the reaper re-queues it
            log.error("audit %s: %s: %s; left for the reaper", audit_id, type(exc).__name__, describe(exc))
        return True

    def run_audit(self, audit_id: uuid.UUID) -> None:
        log.info("audit %s started on %s", audit_id, self.worker_id)
        started = time.monotonic()
        result = engine.run_audit(audit_id, self.worker_id, stop=self.stop)
        elapsed = time.monotonic() - started
        if result is None:
            log.info("audit %s not finished by %s after %.1fs (released, lost or left for the reaper)", audit_id,
                     self.worker_id, elapsed)
        else:
            log.info("audit %s %s in %.1fs: score=%s counts=%s%s", audit_id, result.status, elapsed,
                     result.score, result.counts, f" error={result.error}" if result.error else "")


class _OneLineForDatabaseOutages(logging.Filter):
    """APScheduler logs a failed job with its traceback. A job that failed only because the
    database is unreachable gets one line instead: nothing is wrong with it, and it runs
    again at its next time (during an outage every job would print a traceback each run)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and is_connection_error(exc):
            job = record.args[0] if isinstance(record.args, tuple) and record.args else "a job"
            record.msg, record.args = 'Job "%s": database unavailable (%s); it runs again at its next time', (
                job, describe(exc))
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def run_worker() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.executors.default").addFilter(_OneLineForDatabaseOutages())
    worker = Worker()
    worker.install_signal_handlers()
    return worker.run()
