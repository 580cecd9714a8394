"""/login: a plain HTML form posting to /api/auth/login (which sets the HttpOnly cookie).

Errors come back in the query string from the route's redirect and are shown inline.
"""

from __future__ import annotations

import reflex as rx

from compliance_app.components.forms import auth_form, email_field, message, password_field, switch_link
from compliance_app.components.layout import centered_card
from compliance_app.state.auth_form import AuthFormState
from compliance_app.state.session import SessionState


class LoginState(AuthFormState, SessionState):
    notice: str = ""
    switch_href: str = "/signup"

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        self.notice = self.router.url.query_parameters.get("notice", "")[:300]
        return self._read_query("/signup")


@rx.page(route="/login", title="Sign in · compliance_app", on_load=LoginState.load)
def login_page() -> rx.Component:
    return centered_card(
        rx.heading("Sign in", size="6"),
        message(LoginState.notice, "green", "login-notice"),
        message(LoginState.error, "red", "login-error"),
        auth_form(
            email_field(LoginState.email),
            password_field("Password", "password", "current-password"),
            action="/api/auth/login",
            next_path=LoginState.next_path,
            submit="Sign in",
        ),
        switch_link("No account yet? ", "Create one", LoginState.switch_href),
    )
