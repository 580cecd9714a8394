"""The engine in-process: evidence, errors, progress, concurrency and failure handling."""

from __future__ import annotations

import threading
import time

from sqlmodel import select

from compliance_app.checks.base import Check, Finding
from compliance_app.db import session_scope
from compliance_app.models import AuditStatus, EvidenceStatus, Provider, ScanHistory, Severity
from compliance_app.services import audit_queue, engine
from compliance_app.services.authz import Actor
from compliance_app.services.scans import request_scan
from compliance_app.settings import get_settings
from tests.factories import make_org
from tests.scans import fake_checks
from tests.scans.fake_checks import fake_meta
from tests.scans.helpers import WORKER, evidence_of, load_audit, run_scan


def test_audit_runs_to_completion_with_evidence_score_and_history(db: str) -> None:
    org = make_org()
    audit = run_scan(org)

    assert audit.status == AuditStatus.COMPLETED
    assert audit.started_at is not None and audit.finished_at >= audit.started_at
    assert audit.progress_done == audit.progress_total == len(fake_checks.CHECKS)
    assert audit.counts == {"PASS": 3, "FAIL": 1, "RISK_ACCEPTED": 0, "ERROR": 2, "NOT_APPLICABLE": 0}
    # per check: high PASS (5) over it + critical FAIL (10): 5/15 (per resource it was 20/30)
    assert audit.score == 33
    assert audit.check_counts == {"PASS": 1, "FAIL": 1, "RISK_ACCEPTED": 0, "ERROR": 2, "NOT_APPLICABLE": 0}
    assert audit.lease_expires_at is None and audit.error is None

    rows = {(key, resource): e for key, resource, e in evidence_of(audit.id)}
    assert len(rows) == fake_checks.EVIDENCE_PER_AUDIT
    failing = rows[("fake_one_fails", "repo-a")]
    assert failing.status == EvidenceStatus.FAIL and failing.original_status == EvidenceStatus.FAIL
    assert failing.raw_data == {"repo": "repo-a", "on": False}
    assert audit.started_at <= failing.created_at <= audit.finished_at  # stamped when found, not left to a default
    assert failing.remediation_steps == "Fix fake_one_fails."
    assert rows[("fake_all_pass", "repo-a")].remediation_steps == ""

    with session_scope() as s:
        history = s.exec(select(ScanHistory).where(ScanHistory.organization_id == org.id)).one()
    # checks per result, resources beside them
    assert (history.score, history.total_pass, history.total_fail, history.total_error) == (33, 1, 1, 2)
    assert (history.resources_passing, history.resources_failing) == (3, 1)
    assert history.audit_id == audit.id and history.date == audit.finished_at.date()


def test_a_check_that_cannot_read_or_crashes_is_error_with_a_reason_never_pass(db: str) -> None:
    audit = run_scan(make_org())
    rows = {key: e for key, _, e in evidence_of(audit.id)}
    assert rows["fake_cannot_read"].status == EvidenceStatus.ERROR
    assert "read:org scope" in rows["fake_cannot_read"].message
    assert rows["fake_crashes"].status == EvidenceStatus.ERROR
    assert rows["fake_crashes"].message == "The check could not run: RuntimeError: unexpected payload"
    assert rows["fake_crashes"].raw_data == {"error": rows["fake_crashes"].message}


class _BrokenAws(Check):
    meta = fake_meta("fake_aws_broken", Severity.HIGH, Provider.AWS)

    def run(self, session: object) -> list[Finding]:
        raise ConnectionError("endpoint unreachable")


def test_one_failing_provider_does_not_stop_the_others(db: str) -> None:
    checks = [*fake_checks.CHECKS, _BrokenAws()]
    sessions = [(Provider.AWS, object()), (Provider.GITHUB, fake_checks.FakeSession())]
    audit = run_scan(make_org(), checks=checks, sessions=sessions)
    assert audit.status == AuditStatus.COMPLETED
    assert audit.counts["ERROR"] == 3 and audit.counts["PASS"] == 3
    assert audit.progress_total == len(checks)


def test_checks_of_a_provider_without_a_session_do_not_run(db: str) -> None:
    audit = run_scan(make_org(), checks=[*fake_checks.CHECKS, _BrokenAws()])
    assert audit.progress_total == len(fake_checks.CHECKS)
    assert {key for key, _, _ in evidence_of(audit.id)} == {c.meta.key for c in fake_checks.CHECKS}


def test_no_integrations_means_no_evidence_and_no_score(db: str) -> None:
    audit = run_scan(make_org(), sessions=[])
    assert audit.status == AuditStatus.COMPLETED
    assert audit.score is None and audit.progress_total == 0
    assert audit.counts == {"PASS": 0, "FAIL": 0, "RISK_ACCEPTED": 0, "ERROR": 0, "NOT_APPLICABLE": 0}


class _Sleepy(Check):
    def __init__(self, n: int, seconds: float) -> None:
        self.meta = fake_meta(f"fake_sleepy_{n}", Severity.LOW)
        self.seconds = seconds

    def run(self, session: object) -> list[Finding]:
        time.sleep(self.seconds)
        return [Finding("r", EvidenceStatus.PASS, "ok")]


def test_checks_run_concurrently_within_the_bound(db: str) -> None:
    checks = [_Sleepy(n, 0.3) for n in range(8)]
    org = make_org()
    audit = request_scan(Actor.system("test"), org.id)
    assert audit_queue.claim_audit(audit.id, WORKER)
    started = time.monotonic()
    engine.run_audit(audit.id, WORKER, checks=checks, sessions=[(Provider.GITHUB, None)], concurrency=4)
    elapsed = time.monotonic() - started
    # 8 x 0.3 s sequentially is 2.4 s; four at a time is two rounds (0.6 s) plus overhead.
    assert 0.6 <= elapsed < 1.6, elapsed
    assert load_audit(audit.id).counts["PASS"] == 8


def test_each_integration_runs_its_checks_beside_the_others(db: str) -> None:
    """The bound is per integration: GitHub's checks do not queue behind AWS's (their
    bounded request pool would then run alone after the AWS work instead of under it)."""
    github_ran = threading.Event()

    class WaitsForGitHub(Check):
        meta = fake_meta("fake_aws_waits", Severity.LOW, Provider.AWS)

        def run(self, session: object) -> list[Finding]:
            ran = github_ran.wait(5)
            return [Finding("r", EvidenceStatus.PASS if ran else EvidenceStatus.FAIL, f"github ran: {ran}")]

    class GitHubCheck(Check):
        meta = fake_meta("fake_github_runs", Severity.LOW)

        def run(self, session: object) -> list[Finding]:
            github_ran.set()
            return [Finding("r", EvidenceStatus.PASS, "ok")]

    org = make_org()
    audit = request_scan(Actor.system("test"), org.id)
    assert audit_queue.claim_audit(audit.id, WORKER)
    engine.run_audit(audit.id, WORKER, checks=[WaitsForGitHub(), GitHubCheck()],
                     sessions=[(Provider.AWS, None), (Provider.GITHUB, None)], concurrency=1)
    assert load_audit(audit.id).counts["PASS"] == 2


def test_progress_is_visible_while_the_audit_runs(db: str) -> None:
    gate = threading.Event()

    class Gated(Check):
        meta = fake_meta("fake_gated", Severity.LOW)

        def run(self, session: object) -> list[Finding]:
            gate.wait(10)
            return [Finding("r", EvidenceStatus.PASS, "ok")]

    checks = [_Sleepy(1, 0), _Sleepy(2, 0), Gated()]
    org = make_org()
    audit = request_scan(Actor.system("test"), org.id)
    assert audit_queue.claim_audit(audit.id, WORKER)
    runner = threading.Thread(
        target=engine.run_audit, args=(audit.id, WORKER),
        kwargs={"checks": checks, "sessions": [(Provider.GITHUB, None)]},
    )
    runner.start()
    try:
        deadline = time.monotonic() + 5
        while load_audit(audit.id).progress_done < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        midway = load_audit(audit.id)
        assert midway.status == AuditStatus.RUNNING
        assert (midway.progress_done, midway.progress_total) == (2, 3)
        assert midway.current_check in {"fake_sleepy_1", "fake_sleepy_2"}
        assert len(evidence_of(audit.id)) == 2
    finally:
        gate.set()
        runner.join(10)
    assert load_audit(audit.id).status == AuditStatus.COMPLETED


def test_a_check_reporting_nonsense_is_error_not_a_crash(db: str) -> None:
    class Nonsense(Check):
        meta = fake_meta("fake_bad_status", Severity.LOW)

        def run(self, session: object) -> list[Finding]:
            return [Finding("r", "MAYBE", "?")]  # type: ignore[arg-type]

    audit = run_scan(make_org(), checks=[Nonsense(), _Sleepy(1, 0)], sessions=[(Provider.GITHUB, None)])
    assert audit.status == AuditStatus.COMPLETED
    rows = {key: e for key, _, e in evidence_of(audit.id)}
    assert rows["fake_bad_status"].status == EvidenceStatus.ERROR
    assert rows["fake_bad_status"].message == "The check reported an unknown status 'MAYBE'."
    assert rows["fake_sleepy_1"].status == EvidenceStatus.PASS


def test_whole_run_blowing_up_fails_the_audit_with_a_message(db: str) -> None:
    org = make_org()
    audit = run_scan(org, sessions=[("gitlab", None)])
    assert audit.status == AuditStatus.FAILED
    assert audit.finished_at is not None and audit.lease_expires_at is None
    assert audit.error == "The scan failed: ValueError: 'gitlab' is not a valid Provider"
    # the organization can scan again
    assert request_scan(Actor.system("test"), org.id).id != audit.id


def test_stop_releases_the_audit_back_to_the_queue(db: str) -> None:
    org = make_org()
    audit = request_scan(Actor.system("test"), org.id)
    assert audit_queue.claim_audit(audit.id, WORKER)
    stop = threading.Event()
    stop.set()
    result = engine.run_audit(audit.id, WORKER, checks=[_Sleepy(1, 0.2)], sessions=[(Provider.GITHUB, None)],
                              stop=stop)
    assert result is None
    released = load_audit(audit.id)
    assert released.status == AuditStatus.PENDING and released.attempts == 0 and released.worker_id is None


def test_the_heartbeat_keeps_a_long_audit_from_being_reaped(db: str, monkeypatch) -> None:
    # The check outlasts two leases; a 3 s lease beaten every second leaves 2 s of slack for a
    # busy CI machine (a 1 s lease with a 0.5 s beat was reaped there once).
    monkeypatch.setenv("AUDIT_LEASE_SECONDS", "3")
    get_settings.cache_clear()
    try:
        org = make_org()
        audit = request_scan(Actor.system("test"), org.id)
        assert audit_queue.claim_audit(audit.id, WORKER)
        runner = threading.Thread(target=engine.run_audit, args=(audit.id, WORKER), kwargs={
            "checks": [_Sleepy(1, 7.0)], "sessions": [(Provider.GITHUB, None)]})
        runner.start()
        reaped = []
        while runner.is_alive():
            result = audit_queue.reap_expired_leases()
            reaped += result.requeued + result.failed
            time.sleep(0.2)
        runner.join()
        assert reaped == []
        done = load_audit(audit.id)
        assert done.status == AuditStatus.COMPLETED and done.attempts == 1
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
