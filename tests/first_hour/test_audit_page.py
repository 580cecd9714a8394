"""Accepting a risk on the audit page (bug 1, form 9)."""

from __future__ import annotations

from datetime import timedelta

from compliance_app.models.types import utcnow
from compliance_app.pages.audit_detail import AuditDetailState
from tests.factories import actor_for
from tests.first_hour.conftest import page_state


def _audit_state(monkeypatch, scenario) -> AuditDetailState:
    state = page_state(monkeypatch, AuditDetailState, actor_for(scenario.owner), str(scenario.org.id),
                       scenario.org.slug)
    state.audit_key = str(scenario.audit.id)
    AuditDetailState.open_evidence.fn(state, str(scenario.evidence["t_high_logging:trail-1"].id))
    return state


def test_accepting_a_risk_says_until_when(monkeypatch, scenario):
    state = _audit_state(monkeypatch, scenario)
    until = (utcnow() + timedelta(days=30)).date()
    state.accept_reason, state.accept_until = "Compensating control: trail mirrored elsewhere", until.isoformat()
    events = AuditDetailState.accept_risk.fn(state)
    assert None not in events, "a None event makes Reflex show 'An error occurred'"
    assert len(events) == 1 and f"Risk accepted until {until.day} {until:%b %Y}." in str(events[0])
    assert state.ev["status"] == "RISK_ACCEPTED" and state.accept_error == ""


def test_accept_risk_refusal_shows_at_the_field(monkeypatch, scenario):
    state = _audit_state(monkeypatch, scenario)
    state.accept_reason = ""
    assert AuditDetailState.accept_risk.fn(state) is None
    assert "reason" in state.accept_error.lower()
    state.accept_reason, state.accept_until = "ok", "not a date"
    AuditDetailState.accept_risk.fn(state)
    assert state.accept_error == "Enter the expiry as a date."


def test_dashboard_says_how_many_checks_were_scored_and_how(monkeypatch, scenario):
    from compliance_app.pages.dashboard import DashboardState

    state = page_state(monkeypatch, DashboardState, actor_for(scenario.owner), str(scenario.org.id),
                       scenario.org.slug)
    state._refresh()
    assert state.scored_text == "scored 4 of 4 checks (0 could not run)", state.scored_text
    assert state.score_explanation.startswith("The score is the severity-weighted share of checks")
    assert state.check_counts["FAIL"] == "3" and state.counts["FAIL"] == "4", "checks, with resources beside"
