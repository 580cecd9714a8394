"""/signup: a plain HTML form posting to /api/auth/signup; errors come back inline per field."""

from __future__ import annotations

import reflex as rx

from compliance_app.components.forms import (
    auth_form,
    email_field,
    field_error,
    labeled,
    message,
    password_field,
    switch_link,
)
from compliance_app.components.layout import centered_card
from compliance_app.services.accounts import MIN_PASSWORD_LENGTH
from compliance_app.state.auth_form import AuthFormState
from compliance_app.state.offloop import off_loop
from compliance_app.state.session import SessionState


class SignupState(AuthFormState, SessionState):
    error_field: str = ""
    name: str = ""
    switch_href: str = "/login"

    @rx.event
    @off_loop
    def load(self) -> rx.event.EventSpec | None:
        params = self.router.url.query_parameters
        self.error_field = params.get("field", "")[:40]
        self.name = params.get("name", "")[:200]
        return self._read_query("/login")


def _error_for(field: str) -> rx.Var:
    return rx.cond(SignupState.error_field == field, SignupState.error, "")


@rx.page(route="/signup", title="Create account · compliance_app", on_load=SignupState.load)
def signup_page() -> rx.Component:
    general = rx.cond((SignupState.error_field == "") | (SignupState.error_field == "name"), SignupState.error, "")
    return centered_card(
        rx.heading("Create your account", size="6"),
        message(general, "red", "signup-error"),
        auth_form(
            labeled("Name", rx.input(name="name", default_value=SignupState.name, width="100%")),
            email_field(SignupState.email),
            field_error(_error_for("email")),
            password_field("Password", "password", "new-password", min_length=MIN_PASSWORD_LENGTH),
            rx.text(f"At least {MIN_PASSWORD_LENGTH} characters.", size="1", color_scheme="gray"),
            field_error(_error_for("password")),
            password_field("Repeat password", "password_confirm", "new-password"),
            field_error(_error_for("password_confirm")),
            action="/api/auth/signup",
            next_path=SignupState.next_path,
            submit="Create account",
        ),
        switch_link("Already have an account? ", "Sign in", SignupState.switch_href),
    )
