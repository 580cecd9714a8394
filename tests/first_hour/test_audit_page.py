"""Accepting a risk on the audit page (bug 1, form 9)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from compliance_app.models.types import utcnow
from compliance_app.pages.audit_detail import AuditDetailState, EvidenceDrawerState
from tests.factories import actor_for
from tests.first_hour.conftest import page_state
from tests.support.handlers import call


def _audit_state(monkeypatch, scenario) -> AuditDetailState:
    state = page_state(monkeypatch, AuditDetailState, actor_for(scenario.owner), str(scenario.org.id),
                       scenario.org.slug)
    state.audit_key = str(scenario.audit.id)
    call(EvidenceDrawerState.open_evidence, _drawer(state), str(scenario.evidence["t_high_logging:trail-1"].id))
    return state


def _drawer(state: AuditDetailState) -> EvidenceDrawerState:
    """The drawer is a sibling of the page's state (STYLE "Large Reflex pages"), not its child."""
    return asyncio.run(state.get_state(EvidenceDrawerState))


def test_the_drawer_is_a_sibling_state_not_a_child():
    assert EvidenceDrawerState.get_parent_state() is AuditDetailState.get_parent_state()
    assert EvidenceDrawerState not in AuditDetailState.get_substates()
    assert "ev" not in AuditDetailState.vars and "ev" in EvidenceDrawerState.vars


def test_accepting_a_risk_says_until_when(monkeypatch, scenario):
    state = _audit_state(monkeypatch, scenario)
    drawer = _drawer(state)
    state._load_rows()
    until = (utcnow() + timedelta(days=30)).date()
    drawer.accept_reason, drawer.accept_until = "Compensating control: trail mirrored elsewhere", until.isoformat()
    events = call(EvidenceDrawerState.accept_risk, drawer)
    assert None not in events, "a None event makes Reflex show 'An error occurred'"
    assert len(events) == 1 and f"Risk accepted until {until.day} {until:%b %Y}." in str(events[0])
    assert drawer.ev["status"] == "RISK_ACCEPTED" and drawer.accept_error == ""
    # The page's list (a sibling state) was refreshed: the check is no longer failing on every resource.
    assert {r["key"]: r for r in state.rows}["t_high_logging"]["resources"] == "1 of 2 resources failing"


def test_accept_risk_refusal_shows_at_the_field(monkeypatch, scenario):
    drawer = _drawer(_audit_state(monkeypatch, scenario))
    drawer.accept_reason = ""
    assert call(EvidenceDrawerState.accept_risk, drawer) is None
    assert "reason" in drawer.accept_error.lower()
    drawer.accept_reason, drawer.accept_until = "ok", "not a date"
    call(EvidenceDrawerState.accept_risk, drawer)
    assert drawer.accept_error == "Enter the expiry as a date."


def test_dashboard_says_how_many_checks_were_scored_and_how(monkeypatch, scenario):
    from compliance_app.pages.dashboard import DashboardState

    state = page_state(monkeypatch, DashboardState, actor_for(scenario.owner), str(scenario.org.id),
                       scenario.org.slug)
    state._refresh()
    assert state.scored_text == "scored 4 of 4 checks (0 could not run)", state.scored_text
    assert state.score_explanation.startswith("The score is the severity-weighted share of checks")
    assert state.check_counts["FAIL"] == "3" and state.counts["FAIL"] == "4", "checks, with resources beside"


def test_the_audit_page_lists_checks_and_expands_one_into_its_resources(monkeypatch, scenario):
    state = _audit_state(monkeypatch, scenario)
    state._load_rows()
    by_key = {r["key"]: r for r in state.rows}
    assert len(state.rows) == 4 and state.total == 4
    assert by_key["t_high_logging"]["result"] == "FAIL"
    assert by_key["t_high_logging"]["resources"] == "2 of 2 resources failing"
    assert by_key["t_critical_mfa"]["result_label"] == "Pass"
    call(AuditDetailState.toggle_check, state, "t_medium_keys")
    assert state.expanded == "t_medium_keys"
    assert [(r["status"], r["resource"]) for r in state.resources] == [("FAIL", "key-1"), ("RISK_ACCEPTED", "key-2")]
    call(AuditDetailState.toggle_check, state, "t_medium_keys")
    assert (state.expanded, state.resources) == ("", [])


def test_filters_apply_to_the_check_result_and_live_in_the_url(monkeypatch, scenario):
    state = _audit_state(monkeypatch, scenario)
    events = call(AuditDetailState.set_status_filter, state, "PASS")
    assert [r["key"] for r in state.rows] == ["t_critical_mfa"]
    assert any("replaceState" in str(e) and "?status=PASS" in str(e) for e in events)
    state.search = "mfa"
    assert state._filters_query() == "status=PASS&q=mfa"
    state._filters_from({"status": "FAIL", "severity": "high", "provider": "nope", "q": "logging"})
    assert (state.status_filter, state.severity_filter, state.provider_filter, state.search) == (
        "FAIL", "high", "all", "logging")


def test_scope_lines_say_which_regions_were_and_were_not_scanned():
    from compliance_app.services.audit_outcome import scope_lines

    lines = scope_lines({
        "i1": {"provider": "aws", "account": "123456789012", "scanned": ["eu-west-1", "us-east-1"],
               "skipped": {"ap-east-1": "not opted in"}, "notes": []},
        "i2": {"provider": "github", "account": "acme", "repositories_seen": 3, "repositories_in_organization": 4,
               "notes": ["1 private repository was not visible to the token."]},
    })
    assert lines == [
        "AWS account 123456789012 — regions scanned: eu-west-1, us-east-1; not scanned: ap-east-1 (not opted in).",
        "GitHub acme — 3 of 4 repositories read. 1 private repository was not visible to the token.",
    ]
    assert scope_lines({}) == [] and scope_lines(None) == []


def test_remediation_renders_as_markdown_without_raw_html():
    from compliance_app.pages.audit_detail import audit_detail_page

    rendered = str(audit_detail_page().render())
    assert "Markdown" in rendered and "remediation" in rendered
    assert "rehypeRaw" not in rendered, "raw HTML in remediation text must not reach the page as HTML"
