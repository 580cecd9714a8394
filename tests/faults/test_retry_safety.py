"""The worker's writes are retried when the connection drops (db_retry.py); a retry must be
harmless when the first attempt's commit landed and only its acknowledgement was lost."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.exc import OperationalError, ProgrammingError

from compliance_app import db_retry
from compliance_app.models import AuditStatus, EvidenceStatus
from compliance_app.models.types import utcnow
from compliance_app.services import audit_queue, engine, scans
from compliance_app.services.authz import Actor
from tests.factories import make_org
from tests.faults.ledger import read_ledger
from tests.scans import fake_checks

WORKER = "retry-test"


def _running_audit():
    org = make_org()
    audit_id = scans.request_scan(Actor.system("test"), org.id).id
    assert audit_queue.claim_audit(audit_id, WORKER)
    assert audit_queue.begin_run(audit_id, WORKER, 4)
    return org, audit_id


def _batch(audit_id, question_id) -> list[dict]:
    """Evidence rows as the engine hands them to save_results: column values."""
    return [dict(audit_id=audit_id, question_id=question_id, integration_id=None, status=EvidenceStatus.PASS,
                 original_status=EvidenceStatus.PASS, resource_id=r, region=None, message=f"{r} ok",
                 raw_data={"r": r}, remediation_steps="", created_at=utcnow())
            for r in ("repo-a", "repo-b")]


def test_a_batch_saved_again_after_a_lost_acknowledgement_is_not_written_twice(db: str) -> None:
    org, audit_id = _running_audit()
    question = engine.ensure_questions(fake_checks.CHECKS)["fake_all_pass"]
    assert audit_queue.save_results(audit_id, WORKER, _batch(audit_id, question.id), 1, "fake_all_pass")
    # the same batch again, as the engine retries it when it did not hear back from COMMIT
    assert audit_queue.save_results(audit_id, WORKER, _batch(audit_id, question.id), 1, "fake_all_pass")
    assert read_ledger(org.id).evidence == {audit_id: 2}
    # the next batch still goes in
    assert audit_queue.save_results(audit_id, WORKER, [], 2, "fake_one_fails")
    assert audit_queue.save_results(audit_id, WORKER, _batch(audit_id, question.id)[:1], 3, "fake_crashes")
    assert read_ledger(org.id).evidence == {audit_id: 3}


def test_completing_again_after_a_lost_acknowledgement_returns_the_completed_audit(db: str) -> None:
    org, audit_id = _running_audit()
    first = audit_queue.complete(audit_id, WORKER)
    again = audit_queue.complete(audit_id, WORKER)
    assert first is not None and again is not None
    assert again.status == AuditStatus.COMPLETED and again.finished_at == first.finished_at
    assert list(read_ledger(org.id).history.values()) == [1]
    assert audit_queue.complete(audit_id, "another-worker") is None


def _dropped() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly\nmore"))


class _RecordedWaits(threading.Event):
    """A shutdown flag that is never set and does not really wait: records the backoff."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout or 0)
        return False


def test_connection_errors_are_retried_with_backoff_until_the_database_answers() -> None:
    stop = _RecordedWaits()
    outcomes: list[Exception | str] = [_dropped(), _dropped(), _dropped(), "saved"]

    def write() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert db_retry.retry_database(write, what="test", budget=60, stop=stop) == "saved"
    assert stop.waits == [0.25, 0.5, 1.0]


def test_other_errors_and_an_exhausted_budget_are_raised() -> None:
    def bad_sql() -> None:
        raise ProgrammingError("SELEC", {}, Exception("syntax error"))

    with pytest.raises(ProgrammingError):
        db_retry.retry_database(bad_sql, what="test", budget=60)

    calls = []

    def down() -> None:
        calls.append(1)
        raise _dropped()

    with pytest.raises(OperationalError):
        db_retry.retry_database(down, what="test", budget=0.3)
    assert len(calls) == 2  # at once, after 0.25 s; the next wait would pass the budget
    stop = threading.Event()
    stop.set()
    calls.clear()
    with pytest.raises(OperationalError):
        db_retry.retry_database(down, what="test", budget=60, stop=stop)
    assert calls == [1]  # shutting down: no waiting for the database
