"""Uploaded proof that is stale or expires within 30 days: renew it before an auditor asks."""

from __future__ import annotations

import reflex as rx

from compliance_app.pages.dashboard.state import DashboardState
from compliance_app.pages.dashboard.views.cards import card


def _proof_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.cond(row["state"] == "stale", rx.badge("Stale", color_scheme="red"),
                              rx.badge("Expiring", color_scheme="amber"))),
        rx.table.cell(rx.vstack(rx.text(row["title"], size="2", weight="medium"),
                                rx.text(row["key"], size="1", color_scheme="gray", font_family="monospace"),
                                spacing="0")),
        rx.table.cell(rx.text(row["resource"], size="2", word_break="break-all")),
        rx.table.cell(rx.text(row["evidence_date"], size="2", white_space="nowrap")),
        rx.table.cell(rx.text(row["expiry"], size="2")),
        class_name="proof-due-row",
    )


def proof_card() -> rx.Component:
    S = DashboardState
    return card(
        "Proof to renew",
        rx.cond(
            S.proof_due.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell("State"), rx.table.column_header_cell("Check"),
                        rx.table.column_header_cell("Resource"), rx.table.column_header_cell("Evidence date"),
                        rx.table.column_header_cell("Validity"),
                    )),
                    rx.table.body(rx.foreach(S.proof_due, _proof_row)),
                    width="100%",
                    size="1",
                ),
                width="100%",
                overflow_x="auto",
            ),
            rx.hstack(rx.icon("file-check", size=18, color=rx.color("green", 9)),
                      rx.text("No uploaded proof is stale or expires within 30 days.", color_scheme="gray"),
                      align="center", class_name="proof-due-empty"),
        ),
        class_name="proof-due",
    )
