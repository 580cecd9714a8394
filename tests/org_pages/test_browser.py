"""Journeys through the integrations, checks and risk-acceptance pages in Chromium.

The app runs in prod mode against the test database; data is made through the services
(as a real admin would), and the assertions read what a person sees on the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import select

from compliance_app.checks.registry import all_checks
from compliance_app.db import session_scope
from compliance_app.models import Organization, Role, User
from compliance_app.models.types import utcnow
from compliance_app.services import integrations, risk
from compliance_app.services.demo import DEMO_EMAIL, DEMO_ORG_SLUG, DEMO_PASSWORD, seed_demo
from tests.conftest import SCREENSHOTS, free_port, login, wait_for_app_hydration
from tests.factories import DEFAULT_PASSWORD, actor_for, add_member, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT = 30_000


def _demo() -> tuple[Organization, User]:
    seed_demo()
    with session_scope() as s:
        org = s.exec(select(Organization).where(Organization.slug == DEMO_ORG_SLUG)).one()
        user = s.exec(select(User).where(User.email == DEMO_EMAIL)).one()
    return org, user


@pytest.fixture
def browser_context(live_app: str, chromium) -> Iterator[object]:
    context = chromium.new_context(base_url=live_app, viewport={"width": 1360, "height": 900})
    try:
        yield context
    finally:
        context.close()


def _open(context, live_app: str, email: str, password: str, path: str):
    """Sign in through the cookie route, then load `path` fully and wait for the websocket."""
    login(context, live_app, email, password)
    page = context.new_page()
    page.goto(path)
    wait_for_app_hydration(page)
    return page


def _choose(page, testid: str, option: str) -> None:
    page.get_by_test_id(testid).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_integrations_add_validate_test_edit_remove(live_app: str, browser_context, db: str) -> None:
    _demo()
    token = "ghp_" + "Zq7" * 12 + "w9X4"
    page = _open(browser_context, live_app, DEMO_EMAIL, DEMO_PASSWORD, f"/o/{DEMO_ORG_SLUG}/integrations")
    sent_back: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: sent_back.append(str(frame))))
    page.reload()
    wait_for_app_hydration(page)

    # No integrations yet: the page explains, and admins get the form straight away.
    page.get_by_text("No integrations yet").wait_for(timeout=TIMEOUT)
    form = page.get_by_test_id("integration-form")
    form.get_by_test_id("field-github_org").fill("acme")
    form.get_by_test_id("field-token").fill(token)
    form.get_by_test_id("field-base_url").fill("ftp://github.example.com")
    form.get_by_test_id("integration-submit").click()
    form.get_by_text("The base url must be an http(s) URL").wait_for(timeout=TIMEOUT)
    assert page.get_by_test_id("integration-row").count() == 0

    # Nothing listens on this port: the connection test must fail with a readable reason.
    dead_url = f"http://127.0.0.1:{free_port()}/api/v3"
    form.get_by_test_id("field-base_url").fill(dead_url)
    form.get_by_test_id("integration-submit").click()
    row = page.get_by_test_id("integration-row").first
    row.wait_for(timeout=TIMEOUT)
    assert row.get_by_test_id("integration-secret").inner_text() == "••••" + token[-4:]
    assert dead_url in row.inner_text()
    assert page.get_by_test_id("integration-form").count() == 0, "the form (and what was typed) is gone"
    assert token not in page.content()

    row.get_by_test_id("integration-test").click()
    result = row.get_by_test_id("test-result")
    result.wait_for(timeout=TIMEOUT)
    row.get_by_text("Test failed").wait_for(timeout=TIMEOUT)
    message = result.inner_text()
    assert "127.0.0.1" in message or "reach" in message.lower() or "connect" in message.lower(), message
    page.screenshot(path=str(SCREENSHOTS / "integrations.png"), full_page=True)

    # Edit the name only: a blank token field keeps the stored token.
    row.get_by_test_id("integration-edit").click()
    form = page.get_by_test_id("integration-form")
    assert form.get_by_test_id("field-github_org").input_value() == "acme"
    assert form.get_by_test_id("field-token").input_value() == ""
    form.get_by_test_id("field-name").fill("Acme on GHE")
    form.get_by_test_id("integration-submit").click()
    row.get_by_text("Acme on GHE").wait_for(timeout=TIMEOUT)
    assert row.get_by_test_id("integration-secret").inner_text() == "••••" + token[-4:]

    # AWS with a role: the service's message lands under the role ARN field.
    page.get_by_test_id("add-aws").click()
    form = page.get_by_test_id("integration-form")
    form.get_by_role("radio", name="Assume a role").click()
    form.get_by_test_id("field-role_arn").fill("not-an-arn")
    form.get_by_test_id("field-regions").fill("eu-west-1")
    form.get_by_test_id("integration-submit").click()
    form.get_by_text("'not-an-arn' is not an IAM role ARN").wait_for(timeout=TIMEOUT)
    form.get_by_test_id("field-role_arn").fill("arn:aws:iam::123456789012:role/ComplianceAudit")
    form.get_by_test_id("integration-submit").click()
    # The role is assumed with the keys of the user it trusts: they are asked for in this mode too.
    form.get_by_text("Assuming a role needs the access key id").wait_for(timeout=TIMEOUT)
    form.get_by_test_id("aws-role-keys-hint").wait_for(timeout=TIMEOUT)
    form.get_by_test_id("field-access_key_id").fill("AKIAIOSFODNN7EXAMPLE")
    form.get_by_test_id("field-secret_access_key").fill("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    form.get_by_test_id("integration-submit").click()
    aws_row = page.get_by_test_id("integration-row").filter(has_text="ComplianceAudit")
    aws_row.get_by_text("eu-west-1").wait_for(timeout=TIMEOUT)
    assert page.get_by_test_id("integration-row").count() == 2

    assert sent_back, "no websocket frames were captured"
    assert not any(token in frame for frame in sent_back), "the token came back from the server"
    assert token not in page.content()

    for _ in range(2):
        page.get_by_test_id("integration-remove").first.click()
        page.get_by_test_id("integration-remove-confirm").click()
        page.get_by_test_id("integrations-notice").get_by_text("Integration removed").wait_for(timeout=TIMEOUT)
    page.get_by_text("No integrations yet").wait_for(timeout=TIMEOUT)


def test_checks_catalog_filters_and_details(live_app: str, browser_context, db: str) -> None:
    _demo()
    total = len(all_checks())
    on_github = sum(1 for c in all_checks() if c.meta.provider == "github")
    page = _open(browser_context, live_app, DEMO_EMAIL, DEMO_PASSWORD, f"/o/{DEMO_ORG_SLUG}/checks")
    count = page.get_by_test_id("checks-count")
    count.get_by_text(f"{total} of {total} checks").wait_for(timeout=TIMEOUT)
    assert page.get_by_test_id("check-row").count() == total

    _choose(page, "filter-provider", "GitHub")
    count.get_by_text(f"{on_github} of {total} checks").wait_for(timeout=TIMEOUT)
    assert page.get_by_test_id("check-row").count() == on_github
    assert "IAM Access Analyzer" not in page.content()

    _choose(page, "filter-severity", "Critical")
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=check-row]').length < {on_github}", timeout=TIMEOUT
    )
    critical = page.get_by_test_id("check-row").count()
    assert 0 < critical < on_github
    assert count.inner_text().startswith(f"{critical} of {total}")

    _choose(page, "filter-provider", "AWS")
    _choose(page, "filter-severity", "All severities")
    page.get_by_test_id("checks-search").fill("access analyzer")
    page.get_by_text(f"1 of {total} checks").wait_for(timeout=TIMEOUT)
    analyzer = "IAM Access Analyzer looks for external access in every region"
    page.get_by_test_id("check-row").first.get_by_text(analyzer).click()
    details = page.get_by_test_id("check-details")
    details.wait_for(timeout=TIMEOUT)
    assert "Why it matters" in details.inner_text()
    assert "create-analyzer" in details.inner_text()
    assert "SOC 2: CC6.1" in details.inner_text()

    page.get_by_test_id("checks-search").fill("")
    on_aws = sum(1 for c in all_checks() if c.meta.provider == "aws")
    page.get_by_text(f"{on_aws} of {total} checks").wait_for(timeout=TIMEOUT)
    page.get_by_text("Root account has MFA enabled").click()
    page.get_by_test_id("check-details").get_by_text("CIS: 1.5").wait_for(timeout=TIMEOUT)
    page.screenshot(path=str(SCREENSHOTS / "checks.png"), full_page=False)


def test_risks_list_add_validation_and_revoke(live_app: str, browser_context, db: str) -> None:
    org, admin = _demo()
    risk.accept_risk(
        actor_for(admin), org.id, "accessanalyzer_enabled", "Single-region sandbox account",
        utcnow() + timedelta(days=30), resource_id="arn:aws:iam::123456789012:root",
    )
    page = _open(browser_context, live_app, DEMO_EMAIL, DEMO_PASSWORD, f"/o/{DEMO_ORG_SLUG}/risks")
    row = page.get_by_test_id("risk-row").first
    row.get_by_text("Single-region sandbox account").wait_for(timeout=TIMEOUT)
    assert "arn:aws:iam::123456789012:root" in row.inner_text()
    assert DEMO_EMAIL in row.inner_text()
    assert row.get_by_test_id("risk-status").inner_text() == "active"

    # Add one: the service's messages appear beside the field they concern.
    page.get_by_test_id("risk-add").click()
    _choose(page, "risk-question", "Root account has MFA enabled (iam_root_mfa_enabled)")
    page.get_by_test_id("risk-submit").click()
    page.get_by_text("A reason is required to accept a risk.").wait_for(timeout=TIMEOUT)
    # Inputs reach the state through debounced change events, and each change clears its
    # field's error: waiting for the error to go is what proves the state has the new value.
    page.get_by_test_id("risk-reason").fill("Break-glass account kept offline in a safe")
    page.get_by_text("A reason is required to accept a risk.").wait_for(state="hidden", timeout=TIMEOUT)
    page.get_by_test_id("risk-expires").fill((utcnow().date() + timedelta(days=500)).isoformat())
    page.get_by_test_id("risk-submit").click()
    page.get_by_text("A risk can be accepted for at most one year.").wait_for(timeout=TIMEOUT)
    page.get_by_test_id("risk-expires").fill((utcnow().date() + timedelta(days=60)).isoformat())
    page.get_by_text("A risk can be accepted for at most one year.").wait_for(state="hidden", timeout=TIMEOUT)
    page.get_by_test_id("risk-submit").click()
    # Wait for the new row itself: the reason's text is already on the page, in the form's textarea.
    page.get_by_test_id("risk-row").filter(has_text="Break-glass account kept offline in a safe").wait_for(
        timeout=TIMEOUT
    )
    assert page.get_by_test_id("risk-row").count() == 2
    assert "all resources" in page.get_by_test_id("risks-table").inner_text()

    # Revoke the first exception, after confirming.
    first = page.get_by_test_id("risk-row").filter(has_text="Single-region sandbox account")
    first.get_by_test_id("risk-revoke").click()
    page.get_by_test_id("risk-revoke-confirm").click()
    first.get_by_test_id("risk-status").get_by_text("revoked").wait_for(timeout=TIMEOUT)
    assert first.get_by_test_id("risk-revoke").count() == 0
    statuses = {r.status for r in risk.list_risk_acceptances(actor_for(admin), org.id)}
    assert statuses == {"active", "revoked"}
    page.screenshot(path=str(SCREENSHOTS / "risks.png"), full_page=False)


def test_viewer_sees_no_admin_controls(live_app: str, browser_context, db: str) -> None:
    org, admin = _demo()
    risk.accept_risk(actor_for(admin), org.id, "accessanalyzer_enabled", "Sandbox", utcnow() + timedelta(days=30))
    integrations.add_github_integration(actor_for(admin), org.id, "ghp_viewerCannotSee1234", "acme")
    viewer = add_member(org, make_user("viewer@example.com"), Role.VIEWER)
    page = _open(browser_context, live_app, viewer.email, DEFAULT_PASSWORD, f"/o/{DEMO_ORG_SLUG}/risks")
    page.get_by_test_id("risk-row").first.get_by_text("Sandbox").wait_for(timeout=TIMEOUT)
    assert page.get_by_test_id("risk-revoke").count() == 0
    assert page.get_by_test_id("risk-add").count() == 0

    page.goto(f"/o/{DEMO_ORG_SLUG}/integrations")
    wait_for_app_hydration(page)
    row = page.get_by_test_id("integration-row").first
    row.get_by_text("GitHub acme").wait_for(timeout=TIMEOUT)
    assert row.get_by_test_id("integration-secret").inner_text() == "••••1234"
    for control in ("integration-test", "integration-edit", "integration-remove", "integration-form",
                    "add-github", "add-aws"):
        assert page.get_by_test_id(control).count() == 0, control
