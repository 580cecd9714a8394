"""Single sign-on in Chromium: the sign-in page offers the provider, the provider signs the
person in, and they land on their organization's dashboard; the settings card for admins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from compliance_app.commands.serve import stop_process_group
from compliance_app.models import Role
from tests.conftest import SCREENSHOTS, wait_for_app_hydration
from tests.factories import add_member, make_org, make_user
from tests.support.live_app import start_app
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, Person, Provider, running_provider

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT = 30_000
SHOTS = Path("/tmp/shots/sso")


@pytest.fixture(scope="module")
def sso_app(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Provider]]:
    """Its own app instance, configured with the loopback identity provider."""
    with running_provider(Person(email="ada@acme.example", name="Ada Admin")) as provider:
        proc, base_url = start_app(pg_url, tmp_path_factory.mktemp("sso-app"), {
            "OIDC_ISSUER": provider.issuer, "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_NAME": "Acme ID",
        })  # fmt: skip
        try:
            yield base_url, provider
        finally:
            stop_process_group(proc, timeout=20)


def test_sign_in_through_the_provider_lands_on_the_dashboard(sso_app: tuple[str, Provider], chromium, db: str) -> None:
    base_url, provider = sso_app
    owner = make_user(email="owner@acme.example")
    org = make_org(owner=owner, slug="acme", name="Acme")
    add_member(org, make_user(email="ada@acme.example", name="Ada Admin"), Role.ADMIN)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto("/login")
        wait_for_app_hydration(page)
        button = page.get_by_test_id("sso-login")
        button.wait_for(timeout=TIMEOUT)
        assert "Sign in with Acme ID" in button.inner_text()
        for folder in (SCREENSHOTS, SHOTS):
            page.screenshot(path=str(folder / "sso-login.png"), full_page=True)
        button.click()
        # "/" forwards to the only organization; a refusal would come back to /login?error=...
        try:
            page.wait_for_url(lambda url: url.endswith("/o/acme") or "error=" in url, timeout=TIMEOUT)
        except Exception:
            page.screenshot(path=str(SHOTS / "debug.png"))
            raise AssertionError(f"at {page.url}: {page.content()[:1500]}") from None
        assert page.url.endswith("/o/acme"), page.url
        wait_for_app_hydration(page)
        page.get_by_text("Acme").first.wait_for(timeout=TIMEOUT)
        assert provider.authorizations[-1]["code_challenge_method"] == "S256"
        page.screenshot(path=str(SHOTS / "sso-dashboard.png"), full_page=True)

        page.goto("/o/acme/settings")
        wait_for_app_hydration(page)
        page.get_by_test_id("sso-domain").fill("acme.example")
        page.get_by_test_id("sso-add-rule").click()
        page.get_by_text("Domain rule added.").wait_for(timeout=TIMEOUT)
        page.get_by_test_id("sso-require").click()
        page.get_by_text("Members must now sign in with single sign-on.").wait_for(timeout=TIMEOUT)
        page.screenshot(path=str(SHOTS / "sso-settings.png"), full_page=True)
    finally:
        context.close()
