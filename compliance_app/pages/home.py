"""Home (/): where signing in lands. It forwards to the dashboard of the organization used
last (services/landing.py), or to /orgs to create the first one."""

from __future__ import annotations

import reflex as rx

from compliance_app.components.layout import centered_card
from compliance_app.services.landing import landing_path
from compliance_app.state.offloop import off_loop
from compliance_app.state.session import SessionState


class HomeState(SessionState):
    @rx.event
    @off_loop
    def load(self) -> rx.event.EventSpec:
        if not self._resolve_user():
            return self._login_redirect()
        return rx.redirect(landing_path(self._actor()))


@rx.page(route="/", title="compliance_app", on_load=HomeState.load)
def home() -> rx.Component:
    return centered_card(
        rx.hstack(rx.spinner(size="2"), rx.text("Opening your dashboard…", color_scheme="gray"), align="center"),
    )
