"""The audit page's services: one row per check with its result and resources, filterable on
the check's result, and a check's resources on demand."""

from __future__ import annotations

import pytest

from compliance_app.services import check_results
from compliance_app.services.errors import NotFound, ValidationError
from tests.dashboard.conftest import Scenario
from tests.factories import actor_for, make_org, make_user


def test_one_row_per_check_worst_first_with_its_resources(scenario: Scenario) -> None:
    page = check_results.list_check_results(actor_for(scenario.owner), scenario.audit.id)
    rows = [(r.question_key, r.result, r.resources_text) for r in page.items]
    assert rows == [
        ("t_high_logging", "FAIL", "2 of 2 resources failing"),
        ("t_medium_keys", "FAIL", "1 of 2 resources failing"),  # a FAIL beside an accepted one
        ("t_low_readme", "FAIL", "1 of 2 resources failing"),  # its ERROR row does not save it
        ("t_critical_mfa", "PASS", "0 of 1 resource failing"),
    ]
    assert page.total == 4
    assert page.items[0].title == "T High Logging" and page.items[0].severity == "high"
    assert page.items[2].resources == {"PASS": 0, "FAIL": 1, "RISK_ACCEPTED": 0, "ERROR": 1, "NOT_APPLICABLE": 0}


def test_filters_apply_to_the_check_result_not_to_its_resources(scenario: Scenario) -> None:
    actor = actor_for(scenario.owner)
    audit = scenario.audit.id
    # Resources of t_medium_keys and t_low_readme are RISK_ACCEPTED / ERROR, but no check is.
    assert check_results.list_check_results(actor, audit, result="RISK_ACCEPTED").total == 0
    assert check_results.list_check_results(actor, audit, result="ERROR").total == 0
    assert [r.question_key for r in check_results.list_check_results(actor, audit, result="PASS").items] == [
        "t_critical_mfa"]
    assert check_results.list_check_results(actor, audit, result="FAIL", severity="low").total == 1
    assert check_results.list_check_results(actor, audit, framework="CIS").total == 2
    assert check_results.list_check_results(actor, audit, provider="github").total == 2
    assert check_results.list_check_results(actor, audit, search="LOGGING").total == 1
    second = check_results.list_check_results(actor, audit, page=2, page_size=3)
    assert (len(second.items), second.pages) == (1, 2)
    with pytest.raises(ValidationError, match="Unknown filter value"):
        check_results.list_check_results(actor, audit, result="BROKEN")
    with pytest.raises(ValidationError, match="framework"):
        check_results.list_check_results(actor, audit, framework="PCI")


def test_a_check_expands_to_its_resources(scenario: Scenario) -> None:
    actor = actor_for(scenario.owner)
    page = check_results.list_check_resources(actor, scenario.audit.id, "t_low_readme")
    assert [(r.status, r.resource_id) for r in page.items] == [("FAIL", "repo-a"), ("ERROR", "repo-b")]
    only = check_results.list_check_resources(actor, scenario.audit.id, "t_low_readme", status="ERROR")
    assert [r.resource_id for r in only.items] == ["repo-b"] and only.total == 1
    assert check_results.list_check_resources(actor, scenario.audit.id, "no_such_check").total == 0


def test_other_tenants_see_nothing(scenario: Scenario) -> None:
    stranger = make_user()
    make_org(stranger)
    with pytest.raises(NotFound):
        check_results.list_check_results(actor_for(stranger), scenario.audit.id)
    with pytest.raises(NotFound):
        check_results.list_check_resources(actor_for(stranger), scenario.audit.id, "t_low_readme")
