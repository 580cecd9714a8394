"""A completed audit's figures are computed once, and a risk accepted on it shows at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from compliance_app.db import session_scope
from compliance_app.models import Audit, AuditStatus
from compliance_app.models.types import utcnow
from compliance_app.services import audit_figures, check_results, dashboard, risk
from tests.dashboard.conftest import Scenario
from tests.factories import actor_for


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The audit ids whose figures were computed from their evidence."""
    seen: list[str] = []
    real = audit_figures.compute

    def counting(s, audit):  # type: ignore[no-untyped-def]
        seen.append(str(audit.id))
        return real(s, audit)

    monkeypatch.setattr(audit_figures, "compute", counting)
    return seen


def test_a_completed_audit_is_computed_once(scenario: Scenario, computed: list[str]) -> None:
    actor = actor_for(scenario.owner)
    first = dashboard.dashboard_summary(actor, scenario.org.id)
    again, points = dashboard.dashboard_page(actor, scenario.org.id, 7)
    assert computed == [str(scenario.audit.id)]
    assert (again.score, again.counts, again.check_counts, again.readiness, again.top_failing) == (
        first.score, first.counts, first.check_counts, first.readiness, first.top_failing)
    assert points == dashboard.score_trend(actor, scenario.org.id, 7)


def test_a_risk_accepted_after_completion_changes_the_figures(scenario: Scenario, computed: list[str]) -> None:
    actor = actor_for(scenario.owner)
    before = dashboard.dashboard_summary(actor, scenario.org.id)
    assert before.check_counts["FAIL"] == 3
    risk.accept_risk_for_evidence(actor, scenario.evidence["t_medium_keys:key-1"].id, "Rotated by hand.",
                                  utcnow() + timedelta(days=30))
    after = dashboard.dashboard_summary(actor, scenario.org.id)
    assert after.counts["FAIL"] == before.counts["FAIL"] - 1
    assert after.counts["RISK_ACCEPTED"] == before.counts["RISK_ACCEPTED"] + 1
    assert after.check_counts["FAIL"] == 2 and after.check_counts["RISK_ACCEPTED"] == 1
    assert "t_medium_keys" not in {f.question_key for f in after.top_failing}
    assert computed == [str(scenario.audit.id)] * 2


def test_an_audit_not_completed_is_computed_each_time(scenario: Scenario, computed: list[str]) -> None:
    with session_scope() as s:
        audit = s.get(Audit, scenario.audit.id)
        audit.status = AuditStatus.RUNNING
        audit_figures.figures(s, audit)
        audit_figures.figures(s, audit)
    assert computed == [str(scenario.audit.id)] * 2


def test_the_audit_page_shares_the_figures(scenario: Scenario, computed: list[str]) -> None:
    actor = actor_for(scenario.owner)
    dashboard.dashboard_summary(actor, scenario.org.id)
    rows = check_results.list_check_results(actor, scenario.audit.id, result="FAIL").items
    assert computed == [str(scenario.audit.id)]
    assert "t_medium_keys" in {r.question_key for r in rows}
    risk.accept_risk_for_evidence(actor, scenario.evidence["t_medium_keys:key-1"].id, "Rotated by hand.",
                                  utcnow() + timedelta(days=30))
    rows = check_results.list_check_results(actor, scenario.audit.id, result="FAIL").items
    assert "t_medium_keys" not in {r.question_key for r in rows}
