"""The checks failing in the latest audit, worst first."""

from __future__ import annotations

import reflex as rx

from compliance_app.components.figures import severity_badge
from compliance_app.pages.dashboard.state import DashboardState
from compliance_app.pages.dashboard.views.cards import card


def _failing_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(severity_badge(row["severity"])),
        rx.table.cell(rx.vstack(rx.text(row["title"], size="2", weight="medium"),
                                rx.text(row["key"], size="1", color_scheme="gray", font_family="monospace"),
                                spacing="0")),
        rx.table.cell(rx.badge(row["provider"], variant="surface")),
        rx.table.cell(rx.text(row["failing"], size="2", white_space="nowrap")),
    )


def failing_card() -> rx.Component:
    S = DashboardState
    return card(
        "Top failing checks",
        rx.cond(
            S.top_failing.length() > 0,
            rx.vstack(
                rx.box(
                    rx.table.root(
                        rx.table.header(rx.table.row(
                            rx.table.column_header_cell("Severity"), rx.table.column_header_cell("Check"),
                            rx.table.column_header_cell("Provider"), rx.table.column_header_cell("Failing"),
                        )),
                        rx.table.body(rx.foreach(S.top_failing, _failing_row)),
                        width="100%",
                        size="1",
                    ),
                    width="100%",
                    overflow_x="auto",
                ),
                rx.link("See every failing check →",
                        href="/o/" + S.org_slug + "/audits/" + S.latest_audit_id + "?status=FAIL", size="2"),
                width="100%",
            ),
            rx.hstack(rx.icon("party-popper", size=18, color=rx.color("green", 9)),
                      rx.text("No failing checks in the latest audit.", color_scheme="gray"), align="center"),
        ),
    )
