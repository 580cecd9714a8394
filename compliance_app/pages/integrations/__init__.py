"""/o/{slug}/integrations: connected GitHub organizations and AWS accounts.

This module only assembles the sections (views/); the state and its typed rows are in
state.py, the rules for adding and editing in services/integrations.py.
"""

from __future__ import annotations

import reflex as rx

from compliance_app.components.forms import callout_if
from compliance_app.components.layout import empty_state
from compliance_app.components.org_page import org_page
from compliance_app.pages.integrations.state import IntegrationsState, integration_view
from compliance_app.pages.integrations.views.cards import integration_card
from compliance_app.pages.integrations.views.form import add_buttons, form

__all__ = ["IntegrationsState", "integration_view", "integrations_page"]


def _content() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Scans read your GitHub organizations and AWS accounts through these connections. "
            "Credentials are stored encrypted and never shown again after saving.",
            color_scheme="gray",
        ),
        callout_if(IntegrationsState.notice, icon="info", width="100%", data_testid="integrations-notice"),
        callout_if(IntegrationsState.error, icon="triangle-alert", color_scheme="red", width="100%",
                   data_testid="integrations-error"),
        rx.cond(
            IntegrationsState.rows.length() == 0,
            empty_state(
                "plug",
                "No integrations yet",
                rx.cond(
                    IntegrationsState.can_admin,
                    "Connect a GitHub organization or an AWS account below; the next scan then checks it.",
                    "An administrator of this organization can connect GitHub organizations and AWS accounts.",
                ),
            ),
        ),
        rx.cond(
            IntegrationsState.can_admin,
            rx.cond(IntegrationsState.form_provider != "", form(), add_buttons()),
        ),
        rx.foreach(IntegrationsState.rows, integration_card),
        spacing="4",
        width="100%",
    )


@org_page("/integrations", "Integrations", on_load=IntegrationsState.load)
def integrations_page() -> rx.Component:
    return _content()
