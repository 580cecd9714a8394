"""/login: a plain HTML form posting to /api/auth/login (which sets the HttpOnly cookie).

Errors come back in the query string from the route's redirect and are shown inline.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import reflex as rx

from compliance_app.components.forms import auth_form, email_field, message, password_field, switch_link
from compliance_app.components.layout import centered_card
from compliance_app.services import sso
from compliance_app.services.demo import demo_login
from compliance_app.state.auth_form import AuthFormState
from compliance_app.state.offloop import off_loop
from compliance_app.state.session import SessionState


class LoginState(AuthFormState, SessionState):
    notice: str = ""
    switch_href: str = "/signup"
    #: "demo@example.com / …" while the demo organization exists (`make run` seeds it).
    demo_email: str = ""
    demo_password: str = ""
    #: "Sign in with <sso_name>" while the operator has single sign-on configured.
    sso_name: str = ""

    @rx.event
    @off_loop
    def load(self) -> rx.event.EventSpec | None:
        self.notice = self.router.url.query_parameters.get("notice", "")[:300]
        self.demo_email, self.demo_password = demo_login() or ("", "")
        redirect = self._read_query("/signup")
        self.sso_name = sso.provider_name() or ""
        return redirect

    @rx.event
    def sso_sign_in(self) -> rx.event.EventSpec:
        """A full page load of the SSO route (it redirects to the identity provider): Reflex's router
        keeps links inside the app, and the page's CSP (form-action 'self') stops a form's redirect
        to another origin."""
        url = "/api/auth/sso/login?next=" + quote(self.next_path, safe="")
        return rx.call_script(f"window.location.assign({json.dumps(url)})")


def _sso_button() -> rx.Component:
    """Starts single sign-on (LoginState.sso_sign_in)."""
    return rx.vstack(
        rx.hstack(
            rx.separator(size="4"), rx.text("or", size="1", color_scheme="gray"), rx.separator(size="4"),
            align="center", width="100%",
        ),
        rx.button(rx.icon("key-round", size=16), "Sign in with ", LoginState.sso_name, variant="outline",
                  width="100%", on_click=LoginState.sso_sign_in, data_testid="sso-login"),
        width="100%",
        spacing="3",
    )  # fmt: skip


@rx.page(route="/login", title="Sign in · compliance_app", on_load=LoginState.load)
def login_page() -> rx.Component:
    return centered_card(
        rx.hstack(rx.icon("shield-check", size=26, color=rx.color("accent", 9)),
                  rx.heading("compliance_app", size="5"), align="center", spacing="2"),
        rx.text("Continuous compliance for your GitHub organization and AWS accounts.", size="2",
                color_scheme="gray"),
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
        rx.cond(LoginState.sso_name != "", _sso_button()),
        switch_link("No account yet? ", "Create one", LoginState.switch_href),
        rx.cond(
            LoginState.demo_email != "",
            rx.callout(
                rx.text("Try the demo: ", rx.code(LoginState.demo_email), " / ", rx.code(LoginState.demo_password)),
                icon="sparkles", size="1", color_scheme="blue", width="100%", class_name="demo-login",
            ),
        ),
    )
