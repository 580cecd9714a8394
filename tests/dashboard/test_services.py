"""Dashboard queries on known data: figures, trend ranges, filters and tenant isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from compliance_app.db import session_scope
from compliance_app.models import ScanHistory
from compliance_app.models.types import utcnow
from compliance_app.services import dashboard, scans
from compliance_app.services.authz import Actor
from compliance_app.services.errors import AuthenticationRequired, NotFound, ValidationError
from tests.dashboard.conftest import Scenario
from tests.factories import actor_for, make_org, make_user


def test_summary_figures_follow_the_scoring_rules(scenario: Scenario) -> None:
    s = dashboard.dashboard_summary(actor_for(scenario.owner), scenario.org.id)
    # Per check (DESIGN.md §4): critical PASS; high FAIL (2 failing); medium FAIL (one FAIL beside
    # an accepted one); low FAIL (its ERROR does not save it) = 10 / (10+5+3+1) = 53.
    # (Per resource it was 48: every row one vote.)
    assert s.score == 53
    assert s.previous_score == 9  # PASS low 1 over FAIL critical 10 + 1
    assert s.delta == 44
    assert s.counts == {"PASS": 1, "FAIL": 4, "RISK_ACCEPTED": 1, "ERROR": 1, "NOT_APPLICABLE": 0}
    assert s.check_counts == {"PASS": 1, "FAIL": 3, "RISK_ACCEPTED": 0, "ERROR": 0, "NOT_APPLICABLE": 0}
    assert s.scored_text == "scored 4 of 4 checks (0 could not run)"
    assert "severity-weighted share of checks" in s.score_explanation
    assert s.latest_audit_id == str(scenario.audit.id)
    assert s.last_scan_status == "COMPLETED" and s.active is None
    assert s.has_integrations is False and s.audit_count == 2
    assert [(f.question_key, f.resources_text) for f in s.top_failing] == [
        ("t_high_logging", "2 of 2 resources failing"), ("t_medium_keys", "1 of 2 resources failing"),
        ("t_low_readme", "1 of 2 resources failing")]
    # Controls, not rows: SOC 2 CC6.1 passes, CC7.2 fails; CIS 1.5 passes, 1.14 fails; ISO both fail.
    readiness = {r.framework: (r.passing, r.failing, r.errors, r.percent) for r in s.readiness}
    assert readiness == {"SOC 2": (1, 1, 0, 50), "CIS": (1, 1, 0, 50), "ISO 27001": (0, 2, 0, 0)}


def test_summary_of_an_organization_without_audits(db: str) -> None:
    owner = make_user()
    org = make_org(owner)
    s = dashboard.dashboard_summary(actor_for(owner), org.id)
    assert s.score is None and s.delta is None and s.audit_count == 0 and s.last_scan_at is None
    assert [r.percent for r in s.readiness] == [None, None, None]


def test_trend_ranges_count_days_back_from_today(scenario: Scenario) -> None:
    today = utcnow().date()
    with session_scope() as s:
        for back in range(400):
            s.add(ScanHistory(organization_id=scenario.org.id, date=today - timedelta(days=back),
                              score=50 + back % 40, total_pass=back, total_fail=3))
    actor = actor_for(scenario.owner)
    for days in (7, 30, 90, 365):
        points = dashboard.score_trend(actor, scenario.org.id, days)
        assert len(points) == days
        assert points[-1]["date"] == today.isoformat()
        assert points[0]["date"] == (today - timedelta(days=days - 1)).isoformat()
    assert dashboard.score_trend(actor, scenario.org.id, 7)[-1] == {
        "date": today.isoformat(), "score": 50, "pass": 0, "fail": 3, "accepted": 0, "error": 0,
        "not_applicable": 0, "resources_passing": 0, "resources_failing": 0}
    with pytest.raises(ValidationError, match="7, 30, 90, 365"):
        dashboard.score_trend(actor, scenario.org.id, 10)


def test_evidence_filters_search_sort_and_paging(scenario: Scenario) -> None:
    actor, audit_id = actor_for(scenario.owner), scenario.audit.id
    fails = scans.list_evidence(actor, audit_id, status="FAIL")
    assert fails.total == 4 and {e.status for e in fails.items} == {"FAIL"}
    iso = scans.list_evidence(actor, audit_id, framework="ISO 27001")
    assert {e.question_key for e in iso.items} == {"t_high_logging", "t_low_readme"}
    assert scans.list_evidence(actor, audit_id, provider="github", severity="critical").total == 1
    assert [e.resource_id for e in scans.list_evidence(actor, audit_id, search="TRAIL").items] == [
        "trail-1", "trail-2"]
    by_severity = scans.list_evidence(actor, audit_id, sort="severity").items
    assert by_severity[0].severity == "critical"
    page2 = scans.list_evidence(actor, audit_id, page=2, page_size=5)
    assert page2.total == 7 and len(page2.items) == 2 and page2.pages == 2
    with pytest.raises(ValidationError, match="framework"):
        scans.list_evidence(actor, audit_id, framework="PCI")


def test_audit_rows_say_who_triggered_them_and_filter_by_date(scenario: Scenario) -> None:
    actor = actor_for(scenario.owner)
    rows = dashboard.list_audit_rows(actor, scenario.org.id).items
    assert [(r.score, r.triggered_by) for r in rows] == [(53, scenario.owner.email), (9, None)]
    assert rows[0].scored_text == "scored 4 of 4 checks (0 could not run)"
    today = scenario.audit.created_at.date()  # the day the scenario was made, even if a run crosses midnight
    assert dashboard.list_audit_rows(actor, scenario.org.id, since=today, until=today).total == (
        2 if scenario.old_audit.created_at.date() == today else 1)
    assert dashboard.list_audit_rows(actor, scenario.org.id, status="FAILED").total == 0
    with pytest.raises(ValidationError, match="before the end date"):
        dashboard.list_audit_rows(actor, scenario.org.id, since=today, until=today - timedelta(days=1))


def test_evidence_detail_carries_rationale_and_remediation(scenario: Scenario) -> None:
    e = scenario.evidence["t_high_logging:trail-1"]
    d = dashboard.get_evidence_detail(actor_for(scenario.owner), e.id)
    assert d.rationale == "Because t_high_logging." and d.remediation == "Fix t_high_logging."
    assert d.row.raw_data == {"resource": "trail-1", "n": 1} and d.row.resource_id == "trail-1"


def test_other_organizations_see_nothing(scenario: Scenario) -> None:
    outsider = make_user()
    make_org(outsider)
    actor = actor_for(outsider)
    evidence_id = scenario.evidence["t_high_logging:trail-1"].id
    calls = [
        lambda: dashboard.dashboard_summary(actor, scenario.org.id),
        lambda: dashboard.score_trend(actor, scenario.org.id, 30),
        lambda: dashboard.list_audit_rows(actor, scenario.org.id),
        lambda: dashboard.audit_overview(actor, scenario.audit.id),
        lambda: scans.list_evidence(actor, scenario.audit.id),
        lambda: dashboard.get_evidence_detail(actor, evidence_id),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    with pytest.raises(AuthenticationRequired):
        dashboard.dashboard_summary(Actor.anonymous(), scenario.org.id)
    with pytest.raises(AuthenticationRequired):
        dashboard.get_evidence_detail(Actor.anonymous(), evidence_id)


def test_a_scan_with_nothing_to_check_keeps_the_last_score(scenario: Scenario) -> None:
    """No integration → an audit with no evidence and no score; the figures stay those of the last real one."""
    from tests.dashboard.conftest import completed_audit

    empty, _ = completed_audit(scenario.org, [], age=timedelta(seconds=1))
    s = dashboard.dashboard_summary(actor_for(scenario.owner), scenario.org.id)
    assert empty.score is None
    assert s.score == 53 and s.latest_audit_id == str(scenario.audit.id)
    assert s.last_scan_at == empty.finished_at and s.audit_count == 3


def test_summary_names_the_newest_the_running_and_the_two_newest_scored_audits(scenario: Scenario) -> None:
    """The summary reads its audits in one query: the newest (a failed scan), the running one
    behind it, and the two newest completed audits with a score, past a newer one without."""
    from compliance_app.models import Audit, AuditStatus
    from tests.dashboard.conftest import completed_audit

    completed_audit(scenario.org, [], age=timedelta(seconds=3))
    now, org_id = utcnow(), scenario.org.id
    with session_scope() as s:
        running = Audit(organization_id=org_id, status=AuditStatus.RUNNING, created_at=now - timedelta(seconds=2),
                        progress_done=3, progress_total=9, current_check="t_high_logging")
        failed = Audit(organization_id=org_id, status=AuditStatus.FAILED, created_at=now - timedelta(seconds=1),
                       finished_at=now, error="the worker stopped")
        s.add_all([running, failed])
    s = dashboard.dashboard_summary(actor_for(scenario.owner), org_id)
    assert (s.last_scan_status, s.last_scan_at, s.last_scan_error) == ("FAILED", failed.finished_at,
                                                                       "the worker stopped")
    assert s.active is not None and (s.active.audit_id, s.active.progress_done) == (str(running.id), 3)
    assert (s.score, s.previous_score, s.latest_audit_id) == (53, 9, str(scenario.audit.id))
    assert s.audit_count == 5
