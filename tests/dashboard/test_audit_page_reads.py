"""The audit page reads its header and its checks in one transaction authorized once, with the
answers of audit_header and list_check_results for the same filters."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from compliance_app.db import get_engine
from compliance_app.services import check_results, dashboard
from compliance_app.services.errors import NotFound, ValidationError
from tests.dashboard.conftest import Scenario
from tests.factories import actor_for, make_user

FILTERS = [{}, {"result": "FAIL", "severity": "low"}, {"framework": "CIS"}, {"provider": "github"},
           {"search": "LOGGING"}, {"page": 2, "page_size": 3}]


@pytest.mark.parametrize("filters", FILTERS)
def test_header_and_checks_in_one_transaction(scenario: Scenario, filters: dict[str, object]) -> None:
    actor, audit_id = actor_for(scenario.owner), scenario.audit.id
    checkouts: list[object] = []

    def checkout(dbapi_connection, record, proxy) -> None:
        checkouts.append(record)

    sa.event.listen(get_engine(), "checkout", checkout)
    try:
        header, scope_lines, checks = dashboard.audit_page(actor, audit_id, **filters)
    finally:
        sa.event.remove(get_engine(), "checkout", checkout)
    assert len(checkouts) == 1
    assert (header, scope_lines) == dashboard.audit_header(actor, audit_id)
    assert checks == check_results.list_check_results(actor, audit_id, **filters)


def test_outsiders_and_unknown_filters_are_refused_as_before(scenario: Scenario) -> None:
    with pytest.raises(NotFound, match=r"Audit not found\."):
        dashboard.audit_page(actor_for(make_user()), scenario.audit.id)
    with pytest.raises(ValidationError, match="Unknown framework"):
        dashboard.audit_page(actor_for(scenario.owner), scenario.audit.id, framework="NOPE")
