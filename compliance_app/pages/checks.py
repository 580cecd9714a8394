"""/o/{slug}/checks: the check catalog, filterable by provider, severity, framework and text.

The catalog lives in code (checks/registry.py), so the page reads it from there rather
than from the Question table: it is complete even before the worker first syncs it.
State holds only the filtered summary rows and the one expanded check's details; the
full catalog never travels to the browser in one piece.
"""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from compliance_app.checks.base import FRAMEWORKS, CheckMeta
from compliance_app.components.figures import PROVIDER_LABELS, severity_badge
from compliance_app.components.layout import empty_state
from compliance_app.components.org_page import org_page
from compliance_app.services import catalog
from compliance_app.services.catalog import SEVERITY_ORDER
from compliance_app.state.offloop import off_loop
from compliance_app.state.org import OrgState

ALL = "all"


class CheckRow(TypedDict):
    key: str
    title: str
    provider: str
    service: str
    severity: str
    frameworks: str


class Mapping(TypedDict):
    framework: str
    refs: str


def _frameworks_text(meta: CheckMeta) -> str:
    return " · ".join(f for f in FRAMEWORKS if meta.frameworks.get(f))


def _row(meta: CheckMeta) -> CheckRow:
    return {
        "key": meta.key,
        "title": meta.title,
        "provider": PROVIDER_LABELS.get(str(meta.provider), str(meta.provider)),
        "service": meta.service,
        "severity": str(meta.severity),
        "frameworks": _frameworks_text(meta),
    }


class ChecksState(OrgState):
    rows: list[CheckRow] = []
    total: int = 0
    provider: str = ALL
    severity: str = ALL
    framework: str = ALL
    search: str = ""
    open_key: str = ""
    open_rationale: str = ""
    open_remediation: str = ""
    open_description: str = ""
    open_mappings: list[Mapping] = []

    def _apply(self) -> None:
        def chosen(value: str) -> str | None:
            return None if value == ALL else value

        found, self.total = catalog.list_checks(chosen(self.provider), chosen(self.severity),
                                                chosen(self.framework), self.search)
        self.rows = [_row(meta) for meta in found]

    @rx.event
    @off_loop
    def load(self) -> rx.event.EventSpec | None:
        if (redirect := self._enter_org()) is not None or not self.org_found:
            return redirect
        self._apply()
        return None

    @rx.event
    @off_loop
    def set_provider(self, value: str) -> None:
        self.provider = value
        self._apply()

    @rx.event
    @off_loop
    def set_severity(self, value: str) -> None:
        self.severity = value
        self._apply()

    @rx.event
    @off_loop
    def set_framework(self, value: str) -> None:
        self.framework = value
        self._apply()

    @rx.event
    @off_loop
    def set_search(self, value: str) -> None:
        self.search = value[:200]
        self._apply()

    @rx.event
    @off_loop
    def clear_filters(self) -> None:
        self.provider = self.severity = self.framework = ALL
        self.search = ""
        self._apply()

    @rx.event
    @off_loop
    def toggle(self, key: str) -> None:
        """Expand one check (details are loaded for that one only) or collapse it."""
        if self.open_key == key:
            self.open_key = ""
            return
        meta = catalog.get_check(key)
        if meta is None:
            return
        self.open_key = key
        self.open_rationale = meta.rationale
        self.open_remediation = meta.remediation
        self.open_description = meta.description
        self.open_mappings = [
            {"framework": f, "refs": ", ".join(meta.frameworks[f])} for f in FRAMEWORKS if meta.frameworks.get(f)
        ]


def _select(items: list[tuple[str, str]], value: rx.Var, on_change: rx.EventHandler, testid: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(data_testid=testid),
        rx.select.content(*[rx.select.item(label, value=v) for v, label in items]),
        value=value,
        on_change=on_change,
    )


def _filters() -> rx.Component:
    return rx.hstack(
        rx.input(
            rx.input.slot(rx.icon("search", size=16)),
            placeholder="Search checks…",
            value=ChecksState.search,
            on_change=ChecksState.set_search,
            debounce_timeout=250,
            width="260px",
            data_testid="checks-search",
        ),
        _select(
            [(ALL, "All providers"), *PROVIDER_LABELS.items()],
            ChecksState.provider,
            ChecksState.set_provider,
            "filter-provider",
        ),
        _select(
            [(ALL, "All severities"), *[(s, s.capitalize()) for s in SEVERITY_ORDER]],
            ChecksState.severity,
            ChecksState.set_severity,
            "filter-severity",
        ),
        _select(
            [(ALL, "All frameworks"), *[(f, f) for f in FRAMEWORKS]],
            ChecksState.framework,
            ChecksState.set_framework,
            "filter-framework",
        ),
        rx.spacer(),
        rx.text(
            ChecksState.rows.length(), " of ", ChecksState.total, " checks",
            color_scheme="gray", size="2", data_testid="checks-count",
        ),
        wrap="wrap",
        spacing="2",
        align="center",
        width="100%",
    )


def _details() -> rx.Component:
    return rx.vstack(
        rx.cond(ChecksState.open_description != "", rx.text(ChecksState.open_description, size="2")),
        rx.text("Why it matters", weight="bold", size="2"),
        rx.text(ChecksState.open_rationale, size="2"),
        rx.text("How to fix", weight="bold", size="2"),
        rx.text(ChecksState.open_remediation, size="2", white_space="pre-wrap"),
        rx.text("Framework mappings", weight="bold", size="2"),
        rx.hstack(
            rx.foreach(
                ChecksState.open_mappings,
                lambda m: rx.badge(m["framework"], ": ", m["refs"], variant="outline", color_scheme="gray"),
            ),
            wrap="wrap",
            spacing="2",
        ),
        spacing="2",
        padding_top="0.75em",
        width="100%",
        data_testid="check-details",
    )


def _check_card(row: rx.Var) -> rx.Component:
    is_open = ChecksState.open_key == row["key"]
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon(rx.cond(is_open, "chevron-down", "chevron-right"), size=16),
                severity_badge(row["severity"]),
                rx.vstack(
                    rx.text(row["title"], weight="medium"),
                    rx.text(
                        row["provider"], " · ", row["service"], " · ", rx.code(row["key"], variant="ghost"),
                        size="1", color_scheme="gray",
                    ),
                    spacing="0",
                ),
                rx.spacer(),
                rx.text(row["frameworks"], size="1", color_scheme="gray", white_space="nowrap"),
                align="center",
                spacing="3",
                width="100%",
                cursor="pointer",
                on_click=ChecksState.toggle(row["key"]),
            ),
            rx.cond(is_open, _details()),
            spacing="0",
            width="100%",
        ),
        width="100%",
        data_testid="check-row",
    )


@org_page("/checks", "Checks", on_load=ChecksState.load)
def checks_page() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Every rule a scan evaluates. Open a check to see why it matters, how to fix it, "
            "and which framework controls it covers.",
            color_scheme="gray",
        ),
        _filters(),
        rx.cond(
            ChecksState.rows.length() > 0,
            rx.vstack(rx.foreach(ChecksState.rows, _check_card), spacing="2", width="100%"),
            empty_state(
                "search-x",
                "No check matches these filters",
                "Try another provider, severity or framework, or clear the search.",
                rx.button("Clear filters", variant="soft", on_click=ChecksState.clear_filters),
            ),
        ),
        spacing="4",
        width="100%",
    )
