"""/account in Chromium: inline errors, a real password change, sessions, sign-out by POST."""

from __future__ import annotations

import pytest

from compliance_app.services import accounts
from compliance_app.services.errors import AuthenticationRequired
from tests.conftest import SCREENSHOTS, wait_for_app_hydration
from tests.factories import DEFAULT_PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NEW_PASSWORD = "a much longer new password 2026"
TIMEOUT = 30_000


def _login(context, live_app: str, email: str, password: str) -> int:
    response = context.request.post("/api/auth/login", form={"email": email, "password": password, "next": "/"},
                                    headers={"origin": live_app}, max_redirects=0)
    return response.status if "set-cookie" in response.headers else 0


def test_change_password_and_sessions(live_app: str, chromium, db: str) -> None:
    user = make_user(email="ada@example.com", name="Ada Lovelace")
    # A second session elsewhere, which the password change must sign out.
    _u, elsewhere = accounts.authenticate(user.email, DEFAULT_PASSWORD, "203.0.113.7", user_agent="Other laptop")
    context = chromium.new_context(base_url=live_app, viewport={"width": 1280, "height": 900})
    try:
        assert _login(context, live_app, user.email, DEFAULT_PASSWORD) == 303
        page = context.new_page()
        page.goto("/")
        wait_for_app_hydration(page)
        page.get_by_test_id("account-link").click()
        page.wait_for_url("**/account", timeout=TIMEOUT)
        wait_for_app_hydration(page)
        rows = page.get_by_test_id("session-row")
        rows.first.wait_for(timeout=TIMEOUT)
        assert rows.count() == 2
        assert rows.filter(has_text="this browser").count() == 1
        assert rows.filter(has_text="Other laptop").count() == 1

        form = page.get_by_test_id("change-password-form")
        form.get_by_test_id("field-old_password").fill("not my password at all")
        form.get_by_test_id("field-new_password").fill(NEW_PASSWORD)
        form.get_by_test_id("field-new_password_confirm").fill(NEW_PASSWORD)
        form.get_by_test_id("change-password-submit").click()
        page.get_by_test_id("error-old_password").get_by_text("Current password is incorrect.").wait_for(
            timeout=TIMEOUT)

        form.get_by_test_id("field-old_password").fill(DEFAULT_PASSWORD)
        form.get_by_test_id("field-new_password").fill(NEW_PASSWORD)
        form.get_by_test_id("field-new_password_confirm").fill(NEW_PASSWORD + "!")
        form.get_by_test_id("change-password-submit").click()
        page.get_by_test_id("error-new_password_confirm").wait_for(timeout=TIMEOUT)

        form.get_by_test_id("field-new_password_confirm").fill(NEW_PASSWORD)
        form.get_by_test_id("change-password-submit").click()
        page.get_by_test_id("account-notice").get_by_text("1 other session was signed out").wait_for(
            timeout=TIMEOUT)
        assert page.get_by_test_id("field-new_password").input_value() == ""  # the form remounted empty
        assert page.get_by_test_id("error-old_password").count() == 0
        page.get_by_test_id("session-row").nth(1).wait_for(state="detached", timeout=TIMEOUT)
        page.screenshot(path=str(SCREENSHOTS / "account.png"), full_page=True)

        assert accounts.resolve_session(elsewhere) is None
        with pytest.raises(AuthenticationRequired):
            accounts.authenticate(user.email, DEFAULT_PASSWORD, "check-old")
        other = chromium.new_context(base_url=live_app)
        try:
            assert _login(other, live_app, user.email, DEFAULT_PASSWORD) == 0  # the old password is refused
            assert _login(other, live_app, user.email, NEW_PASSWORD) == 303
        finally:
            other.close()

        # Sign out is a native POST form in the header.
        page.get_by_test_id("sign-out").click()
        page.wait_for_url("**/login**notice=**", timeout=TIMEOUT)
        page.goto("/account")
        page.wait_for_url("**/login**next=%2Faccount**", timeout=TIMEOUT)
    finally:
        context.close()
