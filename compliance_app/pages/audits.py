"""/o/{slug}/audits: every audit of the organization, newest first, filterable and paged."""

from __future__ import annotations

from datetime import date

import reflex as rx

from compliance_app.components.figures import duration, iso_utc, local_time, status_badge, status_label, when
from compliance_app.components.layout import empty_state
from compliance_app.components.org_page import org_page
from compliance_app.components.table import pager, scroll_table
from compliance_app.services import dashboard
from compliance_app.services.errors import ServiceError
from compliance_app.state.offloop import off_loop
from compliance_app.state.org import OrgState
from compliance_app.state.paged import PagedListState

PAGE_SIZE = 20
AUDIT_STATUSES = ["COMPLETED", "RUNNING", "PENDING", "FAILED"]


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class AuditsState(PagedListState, OrgState):
    since: str = ""
    until: str = ""

    def _load_rows(self):
        try:
            result = dashboard.list_audit_rows(
                self._actor(), self._org_uuid(),
                status=None if self.status_filter == "all" else self.status_filter,
                since=_parse_day(self.since), until=_parse_day(self.until),
                page=self.page, page_size=PAGE_SIZE,
            )
        except ServiceError as exc:
            self.rows, self.total, self.pages = [], 0, 1
            return rx.toast.error(exc.message)
        self.total, self.pages = result.total, result.pages
        self.rows = [
            {
                "id": a.id,
                "status": a.status,
                "status_label": status_label(a.status),
                "score": "—" if a.score is None else str(a.score),
                "created": when(a.created_at),
                "created_iso": iso_utc(a.created_at),
                "duration": duration(a.created_at, a.finished_at),
                "pass": str(a.counts["PASS"]),
                "fail": str(a.counts["FAIL"]),
                "by": a.triggered_by or "Scheduled",
                "problem": a.problem or "",
            }
            for a in result.items
        ]
        return None

    @rx.event
    @off_loop
    def load(self):
        self.loaded = False
        redirect = self._enter_org()
        if redirect is not None or not self.org_found:
            return redirect
        self.page = 1
        toast = self._load_rows()
        self.loaded = True
        return toast

    @rx.event
    @off_loop
    def set_status_filter(self, value: str):
        self.status_filter, self.page = value, 1
        return self._load_rows()

    @rx.event
    @off_loop
    def set_since(self, value: str):
        self.since, self.page = value, 1
        return self._load_rows()

    @rx.event
    @off_loop
    def set_until(self, value: str):
        self.until, self.page = value, 1
        return self._load_rows()

    @rx.event
    @off_loop
    def clear_filters(self):
        self.status_filter, self.since, self.until, self.page = "all", "", "", 1
        return self._load_rows()



def _row(row: rx.Var) -> rx.Component:
    href = "/o/" + AuditsState.org_slug + "/audits/" + row["id"]
    return rx.table.row(
        rx.table.cell(rx.link(local_time(row["created_iso"], row["created"]), href=href, weight="medium",
                              white_space="nowrap")),
        rx.table.cell(status_badge(row["status"], row["status_label"])),
        rx.table.cell(rx.text(row["score"], weight="bold")),
        rx.table.cell(rx.cond(
            row["problem"] != "",
            rx.text(row["problem"], size="2", color_scheme="red", class_name="audit-problem"),
            rx.hstack(rx.badge(row["pass"], " pass", color_scheme="green", variant="soft"),
                      rx.badge(row["fail"], " fail", color_scheme="red", variant="soft"), spacing="1"),
        )),
        rx.table.cell(rx.text(row["duration"], size="2", color_scheme="gray")),
        rx.table.cell(rx.text(row["by"], size="2")),
        class_name="audit-row",
    )


def _filters() -> rx.Component:
    S = AuditsState
    return rx.hstack(
        rx.select.root(
            rx.select.trigger(placeholder="Status"),
            rx.select.content(rx.select.item("All statuses", value="all"),
                              *[rx.select.item(status_label(s), value=s) for s in AUDIT_STATUSES]),
            value=S.status_filter,
            on_change=S.set_status_filter,
        ),
        rx.hstack(rx.text("From", size="2"), rx.input(type="date", value=S.since, on_change=S.set_since),
                  rx.text("to", size="2"), rx.input(type="date", value=S.until, on_change=S.set_until),
                  align="center", spacing="2", wrap="wrap"),
        rx.button("Clear", variant="ghost", on_click=S.clear_filters),
        spacing="3",
        align="center",
        wrap="wrap",
    )


def _content() -> rx.Component:
    S = AuditsState
    table = scroll_table(("Started", "Status", "Score", "Results", "Duration", "Triggered by"), S.rows, _row)
    return rx.cond(
        S.loaded,
        rx.vstack(
            _filters(),
            rx.cond(
                S.rows.length() > 0,
                rx.vstack(table, pager(S, "audits"), width="100%", spacing="3"),
                empty_state("list-checks", "No audits match",
                            "Change the filters, or run a scan from the dashboard.",
                            rx.link(rx.button("Go to the dashboard", variant="soft"), href="/o/" + S.org_slug)),
            ),
            spacing="4",
            width="100%",
        ),
        rx.vstack(*[rx.skeleton(height="40px", width="100%") for _ in range(6)], width="100%"),
    )


@org_page("/audits", "Audits", on_load=AuditsState.load)
def audits_page() -> rx.Component:
    return _content()
