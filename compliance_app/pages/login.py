"""/login: a plain HTML form posting to /api/auth/login (which sets the HttpOnly cookie).

Errors come back in the query string from the route's redirect and are shown inline.
"""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from compliance_app.api.auth import safe_next
from compliance_app.components.layout import centered_card
from compliance_app.components.org_page import post_form
from compliance_app.state.session import SessionState


class LoginState(SessionState):
    error: str = ""
    notice: str = ""
    email: str = ""
    next_path: str = "/orgs"
    signup_href: str = "/signup"

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        params = self.router.url.query_parameters
        self.error = params.get("error", "")[:300]
        self.notice = params.get("notice", "")[:300]
        self.email = params.get("email", "")[:320]
        self.next_path = safe_next(params.get("next"))
        self.signup_href = "/signup?next=" + quote(self.next_path, safe="")
        if self._resolve_user():
            return rx.redirect(self.next_path)
        return None


def message(text: rx.Var, color: str, test_id: str) -> rx.Component:
    return rx.cond(
        text != "",
        rx.callout(text, color_scheme=color, size="1", width="100%", data_testid=test_id),
    )


def labeled(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), control, spacing="1", width="100%")


@rx.page(route="/login", title="Sign in · compliance_app", on_load=LoginState.load)
def login_page() -> rx.Component:
    return centered_card(
        rx.heading("Sign in", size="6"),
        message(LoginState.notice, "green", "login-notice"),
        message(LoginState.error, "red", "login-error"),
        post_form(
            rx.vstack(
                labeled(
                    "Email",
                    rx.input(
                        name="email",
                        type="email",
                        default_value=LoginState.email,
                        required=True,
                        auto_complete="username",
                        width="100%",
                    ),
                ),
                labeled(
                    "Password",
                    rx.input(
                        name="password",
                        type="password",
                        required=True,
                        auto_complete="current-password",
                        width="100%",
                    ),
                ),
                rx.el.input(type="hidden", name="next", value=LoginState.next_path),
                rx.button("Sign in", type="submit", width="100%"),
                spacing="3",
                width="100%",
            ),
            action="/api/auth/login",
            width="100%",
        ),
        rx.text(
            "No account yet? ",
            rx.link("Create one", href=LoginState.signup_href),
            size="2",
        ),
    )
