"""A table and its pager, as the organization pages show them.

On phones every table turns into stacked cards (assets/styles.css); tables built here also
label each cell with its column's header there, so a card reads "Status: Fail".
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

PHONE = "@media (max-width: 640px)"


def phone_cell_labels(headers: tuple[str, ...]) -> dict[str, object]:
    """Style that writes each column's header above its cell when the table is stacked."""
    return {
        PHONE: {
            f"& tbody tr > :nth-child({i})::before": {
                "content": f'"{header}"', "flex": "0 0 5.5rem", "font_size": "12px", "color": "var(--gray-11)",
            }
            for i, header in enumerate(headers, start=1) if header
        }
    }


def scroll_table(headers: tuple[str, ...], rows: rx.Var, row: Callable[[rx.Var], rx.Component],
                 **table_props: object) -> rx.Component:
    """A full-width table: scrolls sideways on tablets rather than squeezing, stacks on phones."""
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(rows, row)),
            width="100%",
            **table_props,
        ),
        overflow_x="auto",
        width="100%",
        style=phone_cell_labels(headers),
    )


def _singular(noun: str) -> str:
    return noun[:-3] + "y" if noun.endswith("ies") else noun.removesuffix("s")


def pager(state: type, noun: str, **count_props: object) -> rx.Component:
    """"12 audits · page 1 of 2" ("1 audit") with Previous/Next, driving a state.paged.PagedListState;
    `noun` is the plural."""
    return rx.hstack(
        rx.text(state.total, rx.cond(state.total == 1, f" {_singular(noun)}", f" {noun}"), " · page ", state.page,
                " of ", state.pages, size="2", color_scheme="gray", **count_props),
        rx.spacer(),
        rx.button(rx.icon("chevron-left", size=16), "Previous", variant="soft", size="1",
                  on_click=state.go_page(-1), disabled=state.page <= 1),
        rx.button("Next", rx.icon("chevron-right", size=16), variant="soft", size="1",
                  on_click=state.go_page(1), disabled=state.page >= state.pages),
        width="100%",
        align="center",
    )
