"""An organization page's filtered list, shown a page at a time (the audits list, one audit's evidence)."""

from __future__ import annotations

import reflex as rx

from compliance_app.state.offloop import off_loop


class PagedListState(rx.State, mixin=True):
    """What components/table.py's pager reads and drives; subclasses fill `rows` in `_load_rows`.

    A mixin, so that each page gets its own copy of these vars and of go_page (an event handler
    inherited from a plain parent state would run on the parent, not on the page's state).
    """

    loaded: bool = False
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    status_filter: str = "all"

    def _load_rows(self) -> rx.event.EventSpec | None:
        raise NotImplementedError

    @rx.event
    @off_loop
    def go_page(self, delta: int) -> rx.event.EventSpec | None:
        self.page = min(max(1, self.page + delta), self.pages)
        return self._load_rows()
