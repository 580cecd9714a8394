"""Risk acceptance: applies to new audits, re-scores from evidence, expires, revokes, refuses bad input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from compliance_app.db import session_scope
from compliance_app.models import (
    ActivityLog,
    EvidenceStatus,
    RiskAcceptanceException,
    Role,
    ScanHistory,
)
from compliance_app.models.types import utcnow
from compliance_app.services import risk, scans
from compliance_app.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from tests.factories import actor_for, add_member, make_org, make_user
from tests.scans.helpers import evidence_of, load_audit, run_scan

IN_90_DAYS = utcnow() + timedelta(days=90)


@pytest.fixture
def admin_org(db: str):
    owner = make_user()
    org = make_org(owner)
    run_scan(org)  # puts the fake questions in the catalog and gives the org an audit
    return actor_for(owner), org


def _status_of(audit_id, key: str, resource: str) -> tuple[str, str | None]:
    for k, r, e in evidence_of(audit_id):
        if (k, r) == (key, resource):
            return e.status, e.original_status
    raise AssertionError((key, resource))


def _risk_rows() -> int:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(RiskAcceptanceException)).one()


def _actions() -> list[str]:
    with session_scope() as s:
        return [a for a in s.exec(select(ActivityLog.action).order_by(ActivityLog.id)).all()
                if a.startswith("risk.")]


def test_acceptance_applies_to_new_audits_and_keeps_the_verdict(admin_org) -> None:
    me, org = admin_org
    accepted = risk.accept_risk(me, org.id, "fake_one_fails", "Legacy repo, archived in Q1", IN_90_DAYS)
    assert accepted.approved_by_id == me.user_id

    audit = run_scan(org)
    assert _status_of(audit.id, "fake_one_fails", "repo-a") == (EvidenceStatus.RISK_ACCEPTED, EvidenceStatus.FAIL)
    assert audit.score == 100 and audit.counts["RISK_ACCEPTED"] == 1 and audit.counts["FAIL"] == 0
    rows = risk.list_risk_acceptances(me, org.id)
    assert [(r.question_key, r.status, r.resource_id, r.approved_by) for r in rows] == [
        ("fake_one_fails", "active", None, me.label)]
    assert _actions() == ["risk.accepted"]


def test_acceptance_for_one_resource_only(admin_org) -> None:
    me, org = admin_org
    risk.accept_risk(me, org.id, "fake_one_fails", "Other repo", IN_90_DAYS, resource_id="repo-zzz")
    audit = run_scan(org)
    assert _status_of(audit.id, "fake_one_fails", "repo-a") == (EvidenceStatus.FAIL, EvidenceStatus.FAIL)


def test_expired_and_revoked_acceptances_stop_applying(admin_org) -> None:
    me, org = admin_org
    expiring = risk.accept_risk(me, org.id, "fake_one_fails", "Short exception", IN_90_DAYS)
    with session_scope() as s:  # time passes
        s.get(RiskAcceptanceException, expiring.id).expires_at = utcnow() - timedelta(minutes=1)
    assert risk.list_risk_acceptances(me, org.id)[0].status == "expired"
    assert _status_of(run_scan(org).id, "fake_one_fails", "repo-a")[0] == EvidenceStatus.FAIL

    revoked = risk.accept_risk(me, org.id, "fake_one_fails", "Second try", IN_90_DAYS)
    assert _status_of(run_scan(org).id, "fake_one_fails", "repo-a")[0] == EvidenceStatus.RISK_ACCEPTED
    risk.revoke_risk(me, str(revoked.id))
    assert _status_of(run_scan(org).id, "fake_one_fails", "repo-a")[0] == EvidenceStatus.FAIL
    statuses = {r.id: r.status for r in risk.list_risk_acceptances(me, org.id)}
    assert statuses == {expiring.id: "expired", revoked.id: "revoked"}
    with pytest.raises(Conflict, match="already revoked"):
        risk.revoke_risk(me, revoked.id)
    assert _actions() == ["risk.accepted", "risk.accepted", "risk.revoked"]


def test_accepting_from_evidence_rescores_the_audit_and_its_history(admin_org) -> None:
    me, org = admin_org
    audit = scans.list_audits(me, org.id).items[0]
    assert audit.score == 33  # per check (per resource it was 67)
    failing = scans.list_evidence(me, audit.id, status="FAIL").items[0]

    risk.accept_risk_for_evidence(me, failing.id, "Compensating control: manual review", date.today()
                                  + timedelta(days=30))
    rescored = load_audit(audit.id)
    assert rescored.score == 100 and rescored.counts["RISK_ACCEPTED"] == 1 and rescored.counts["FAIL"] == 0
    assert _status_of(audit.id, "fake_one_fails", "repo-a") == (EvidenceStatus.RISK_ACCEPTED, EvidenceStatus.FAIL)
    with session_scope() as s:
        history = s.exec(select(ScanHistory).where(ScanHistory.audit_id == audit.id)).one()
    assert (history.score, history.total_fail, history.total_accepted) == (100, 0, 1)
    assert risk.list_risk_acceptances(me, org.id)[0].resource_id == "repo-a"


@pytest.mark.parametrize(
    ("reason", "expires", "question", "message"),
    [
        ("ok", utcnow() - timedelta(days=1), "fake_one_fails", "must be in the future"),
        ("ok", utcnow() + timedelta(days=400), "fake_one_fails", "at most one year"),
        ("ok", None, "fake_one_fails", "expiry date is required"),
        ("   ", IN_90_DAYS, "fake_one_fails", "reason is required"),
        (None, IN_90_DAYS, "fake_one_fails", "reason is required"),
        ("ok", IN_90_DAYS, "no_such_question", "Unknown question 'no_such_question'"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(admin_org, reason, expires, question, message) -> None:
    me, org = admin_org
    with pytest.raises(ValidationError, match=message):
        risk.accept_risk(me, org.id, question, reason, expires)
    assert _risk_rows() == 0 and _actions() == []


def test_another_organizations_evidence_and_non_admins_are_refused(admin_org) -> None:
    me, org = admin_org
    audit_id = scans.list_audits(me, org.id).items[0].id
    failing = scans.list_evidence(me, audit_id, status="FAIL").items[0]
    other_admin = make_user()
    make_org(other_admin)
    with pytest.raises(NotFound, match="Evidence not found"):
        risk.accept_risk_for_evidence(actor_for(other_admin), failing.id, "mine now", IN_90_DAYS)
    member = add_member(org, role=Role.MEMBER)
    with pytest.raises(PermissionDenied):
        risk.accept_risk(actor_for(member), org.id, "fake_one_fails", "members cannot", IN_90_DAYS)
    passing = scans.list_evidence(me, audit_id, status="PASS").items[0]
    with pytest.raises(ValidationError, match="Only failing evidence"):
        risk.accept_risk_for_evidence(me, passing.id, "not failing", IN_90_DAYS)
    assert _risk_rows() == 0 and _actions() == []
    assert load_audit(audit_id).score == 33


def test_a_second_acceptance_of_the_same_risk_is_a_conflict(admin_org) -> None:
    me, org = admin_org
    risk.accept_risk(me, org.id, "fake_one_fails", "first", IN_90_DAYS)
    with pytest.raises(Conflict, match="already accepted until"):
        risk.accept_risk(me, org.id, "fake_one_fails", "again", IN_90_DAYS)
    assert _risk_rows() == 1
