"""The Integrations page is a package whose card rows are typed and built by a pure function
(STYLE "Large Reflex pages")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from compliance_app.pages.integrations import IntegrationsState, integration_view, integrations_page
from compliance_app.services.integrations import IntegrationRow


def _row(**changes) -> IntegrationRow:
    created = datetime(2026, 12, 1, tzinfo=UTC)
    values = {"id": uuid.uuid4(), "organization_id": uuid.uuid4(), "provider": "aws", "name": "Prod", "config": {
        "role_arn": "arn:aws:iam::123456789012:role/Audit", "regions": ["eu-west-1"],
        "endpoint_url": "http://127.0.0.1:5000"}, "secret_hint": "MPLE", "created_at": created,
        "updated_at": created, "last_tested_at": None, "last_test_ok": None, "last_test_message": None,
        "last_used_at": None, "last_used_status": None}
    return IntegrationRow(**{**values, **changes})


def test_a_card_row_says_what_is_connected_and_never_the_secret():
    view = integration_view(_row(last_tested_at=datetime(2026, 12, 1, 14, 5, tzinfo=UTC), last_test_ok=False,
                                 last_test_message="AccessDenied"))
    assert view["account"] == "Role arn:aws:iam::123456789012:role/Audit"
    assert view["location"] == "eu-west-1 · endpoint http://127.0.0.1:5000"
    assert view["secret"] == "••••MPLE" and view["provider_label"] == "AWS"
    assert (view["test_status"], view["tested_at"], view["tested_at_iso"]) == (
        "failed", "1 Dec 2026, 14:05 UTC", "2026-12-01T14:05:00Z")
    assert (view["used_at"], view["used_at_iso"], view["external_id"]) == ("", "", "")


def test_the_package_re_exports_the_page_and_its_state():
    assert IntegrationsState.__module__ == "compliance_app.pages.integrations.state"
    assert "integration-row" in str(integrations_page().render())
