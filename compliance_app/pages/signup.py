"""/signup: a plain HTML form posting to /api/auth/signup; errors come back inline per field."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from compliance_app.api.auth import safe_next
from compliance_app.components.layout import centered_card
from compliance_app.components.org_page import field_error, post_form
from compliance_app.pages.login import labeled, message
from compliance_app.services.accounts import MIN_PASSWORD_LENGTH
from compliance_app.state.session import SessionState


class SignupState(SessionState):
    error: str = ""
    error_field: str = ""
    email: str = ""
    name: str = ""
    next_path: str = "/orgs"
    login_href: str = "/login"

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        params = self.router.url.query_parameters
        self.error = params.get("error", "")[:300]
        self.error_field = params.get("field", "")[:40]
        self.email = params.get("email", "")[:320]
        self.name = params.get("name", "")[:200]
        self.next_path = safe_next(params.get("next"))
        self.login_href = "/login?next=" + quote(self.next_path, safe="")
        if self._resolve_user():
            return rx.redirect(self.next_path)
        return None


def _error_for(field: str) -> rx.Var:
    return rx.cond(SignupState.error_field == field, SignupState.error, "")


@rx.page(route="/signup", title="Create account · compliance_app", on_load=SignupState.load)
def signup_page() -> rx.Component:
    general = rx.cond((SignupState.error_field == "") | (SignupState.error_field == "name"), SignupState.error, "")
    return centered_card(
        rx.heading("Create your account", size="6"),
        message(general, "red", "signup-error"),
        post_form(
            rx.vstack(
                labeled("Name", rx.input(name="name", default_value=SignupState.name, width="100%")),
                labeled(
                    "Email",
                    rx.input(
                        name="email",
                        type="email",
                        default_value=SignupState.email,
                        required=True,
                        auto_complete="username",
                        width="100%",
                    ),
                ),
                field_error(_error_for("email")),
                labeled(
                    "Password",
                    rx.input(
                        name="password",
                        type="password",
                        required=True,
                        auto_complete="new-password",
                        min_length=MIN_PASSWORD_LENGTH,
                        width="100%",
                    ),
                ),
                rx.text(f"At least {MIN_PASSWORD_LENGTH} characters.", size="1", color_scheme="gray"),
                field_error(_error_for("password")),
                labeled(
                    "Repeat password",
                    rx.input(
                        name="password_confirm",
                        type="password",
                        required=True,
                        auto_complete="new-password",
                        width="100%",
                    ),
                ),
                field_error(_error_for("password_confirm")),
                rx.el.input(type="hidden", name="next", value=SignupState.next_path),
                rx.button("Create account", type="submit", width="100%"),
                spacing="3",
                width="100%",
            ),
            action="/api/auth/signup",
            width="100%",
        ),
        rx.text(
            "Already have an account? ",
            rx.link("Sign in", href=SignupState.login_href),
            size="2",
        ),
    )
