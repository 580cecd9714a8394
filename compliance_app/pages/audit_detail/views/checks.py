"""One row per check; an expanded check lists its resources, each opening the drawer."""

from __future__ import annotations

import reflex as rx

from compliance_app.components.figures import severity_badge, status_badge
from compliance_app.pages.audit_detail.state import AuditDetailState, EvidenceDrawerState

S = AuditDetailState

def _resource(row: rx.Var) -> rx.Component:
    return rx.hstack(
        status_badge(row["status"], row["status_label"]),
        rx.vstack(
            rx.hstack(rx.text(row["resource"], size="2", font_family="monospace", word_break="break-all"),
                      rx.cond(row["region"] != "", rx.text(row["region"], size="1", color_scheme="gray")),
                      rx.cond(row["file"] != "", rx.icon("paperclip", size=14, aria_label="Has a proof file")),
                      align="center", wrap="wrap", spacing="2"),
            rx.text(row["message"], size="1", color_scheme="gray"),
            spacing="0",
            min_width="0",
        ),
        on_click=EvidenceDrawerState.open_evidence(row["id"]),
        cursor="pointer",
        padding="0.4em 0.5em",
        border_radius="6px",
        width="100%",
        align="start",
        _hover={"background": rx.color("accent", 3)},
        class_name="evidence-row",
    )


def check(row: rx.Var) -> rx.Component:
    open_ = S.expanded == row["key"]
    return rx.fragment(
        rx.table.row(
            rx.table.cell(rx.hstack(
                rx.icon(rx.cond(open_, "chevron-down", "chevron-right"), size=16),
                status_badge(row["result"], row["result_label"]), align="center", spacing="1")),
            rx.table.cell(severity_badge(row["severity"])),
            rx.table.cell(rx.vstack(rx.text(row["title"], size="2", weight="medium"),
                                    rx.text(row["key"], size="1", color_scheme="gray", font_family="monospace"),
                                    spacing="0")),
            rx.table.cell(rx.text(row["resources"], size="2", class_name="check-resources")),
            rx.table.cell(rx.badge(row["provider"], variant="surface")),
            on_click=S.toggle_check(row["key"]),
            cursor="pointer",
            _hover={"background": rx.color("accent", 2)},
            class_name="check-row",
            custom_attrs={"aria-expanded": rx.cond(open_, "true", "false")},
        ),
        rx.cond(
            open_,
            rx.table.row(
                rx.table.cell(
                    rx.vstack(
                        rx.foreach(S.resources, _resource),
                        rx.cond(S.resources_note != "", rx.text(S.resources_note, size="1", color_scheme="gray")),
                        spacing="1",
                        width="100%",
                    ),
                    col_span=5,
                    background=rx.color("gray", 2),
                ),
                class_name="check-resources-row",
            ),
        ),
    )
