"""One card per connected integration: its settings, last test and use, and admin actions."""

from __future__ import annotations

import reflex as rx

from compliance_app.components.figures import local_time
from compliance_app.pages.integrations.state import GITHUB, IntegrationsState


def _status_badge(view: rx.Var) -> rx.Component:
    return rx.match(
        view["test_status"],
        ("ok", rx.badge(rx.icon("circle-check", size=14), "Connected", color_scheme="green")),
        ("failed", rx.badge(rx.icon("circle-x", size=14), "Test failed", color_scheme="red")),
        rx.badge("Not tested", color_scheme="gray"),
    )


def _remove_button(view: rx.Var) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button("Remove", size="1", variant="soft", color_scheme="red", data_testid="integration-remove")
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Remove ", view["name"], "?"),
            rx.alert_dialog.description(
                "Its stored credentials are deleted and scans stop checking it. Past audits keep their evidence."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button("Remove", color_scheme="red", on_click=IntegrationsState.remove(view["id"]),
                              data_testid="integration-remove-confirm")
                ),
                spacing="3",
                justify="end",
                padding_top="1em",
            ),
        ),
    )


def _admin_actions(view: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.icon("plug-zap", size=14),
            "Test connection",
            size="1",
            variant="soft",
            loading=IntegrationsState.testing_id == view["id"],
            disabled=IntegrationsState.testing_id != "",
            on_click=IntegrationsState.test(view["id"]),
            data_testid="integration-test",
        ),
        rx.button("Edit", size="1", variant="soft", color_scheme="gray",
                  on_click=IntegrationsState.start_edit(view["id"]), data_testid="integration-edit"),
        _remove_button(view),
        spacing="2",
    )


def _labeled_value(label: str, *value: rx.Component | rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="1", color_scheme="gray", min_width="90px"),
        rx.text(*value, size="2"),
        spacing="2",
        align="baseline",
    )


def integration_card(view: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.cond(view["provider"] == GITHUB, rx.icon("git-branch", size=20), rx.icon("cloud", size=20)),
                rx.heading(view["name"], size="3"),
                rx.badge(view["provider_label"], variant="outline"),
                _status_badge(view),
                rx.spacer(),
                rx.cond(IntegrationsState.can_admin, _admin_actions(view)),
                align="center",
                spacing="3",
                width="100%",
                wrap="wrap",
            ),
            _labeled_value("Account", view["account"]),
            _labeled_value(rx.cond(view["provider"] == GITHUB, "API", "Regions"), view["location"]),
            rx.cond(
                view["secret"] != "",
                _labeled_value("Credential", rx.code(view["secret"], data_testid="integration-secret")),
            ),
            rx.cond(
                view["external_id"] != "",
                _labeled_value("External ID", rx.code(view["external_id"], data_testid="integration-external-id")),
            ),
            _labeled_value(
                "Last test",
                rx.cond(
                    view["tested_at"] != "",
                    rx.text.span(local_time(view["tested_at_iso"], view["tested_at"]), " — ", view["test_message"],
                                 data_testid="test-result"),
                    "never tested",
                ),
            ),
            _labeled_value(
                "Last use",
                rx.cond(view["used_at"] != "",
                        rx.text.span(local_time(view["used_at_iso"], view["used_at"]), " — ", view["used_status"]),
                        "not used by a scan yet"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        data_testid="integration-row",
    )
