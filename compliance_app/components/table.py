"""A scrollable table and its pager, as the audits list and the audit page show them."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx


def scroll_table(headers: tuple[str, ...], rows: rx.Var, row: Callable[[rx.Var], rx.Component],
                 **table_props: object) -> rx.Component:
    """A full-width table that scrolls sideways on narrow screens instead of squeezing columns."""
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(rows, row)),
            width="100%",
            **table_props,
        ),
        overflow_x="auto",
        width="100%",
    )


def pager(state: type, noun: str, **count_props: object) -> rx.Component:
    """"12 audits · page 1 of 2" with Previous/Next, driving a state.paged.PagedListState."""
    return rx.hstack(
        rx.text(state.total, f" {noun} · page ", state.page, " of ", state.pages, size="2", color_scheme="gray",
                **count_props),
        rx.spacer(),
        rx.button(rx.icon("chevron-left", size=16), "Previous", variant="soft", size="1",
                  on_click=state.go_page(-1), disabled=state.page <= 1),
        rx.button("Next", rx.icon("chevron-right", size=16), variant="soft", size="1",
                  on_click=state.go_page(1), disabled=state.page >= state.pages),
        width="100%",
        align="center",
    )
