"""/o/{slug}/activity: the organization's activity log, for admins, newest first, paged."""

from __future__ import annotations

import reflex as rx

from compliance_app.components.figures import iso_utc, local_time, when
from compliance_app.components.forms import callout_if
from compliance_app.components.org_page import org_page
from compliance_app.components.table import pager
from compliance_app.services import activity, organizations
from compliance_app.services.errors import AuthenticationRequired, ServiceError
from compliance_app.state.offloop import off_loop
from compliance_app.state.org import OrgState

PAGE_SIZE = 50


class ActivityState(OrgState):
    rows: list[dict[str, str]] = []
    page: int = 1
    total: int = 0
    error: str = ""

    @rx.var
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    def _fetch(self) -> rx.event.EventSpec | None:
        self.error = ""
        try:
            result = organizations.list_activity(self._actor(), self._org_uuid(), self.page, PAGE_SIZE)
        except AuthenticationRequired:
            return self._login_redirect()
        except ServiceError as exc:
            self.rows, self.total, self.error = [], 0, exc.message
            return None
        self.total = result.total
        self.rows = [
            {
                "when": when(r.created_at),
                "when_iso": iso_utc(r.created_at),
                "actor": r.actor,
                "what": activity.sentence(r.action, r.who, r.target, r.meta),
                "ip": str(r.meta.get("ip", "")),
            }
            for r in result.rows
        ]
        return None

    @rx.event
    @off_loop
    def load(self) -> rx.event.EventSpec | None:
        self.page = 1
        redirect = self._enter_org()
        if redirect is not None or not self.org_found:
            return redirect
        return self._fetch()

    @rx.event
    @off_loop
    def go_page(self, delta: int) -> rx.event.EventSpec | None:
        self.page = min(max(1, self.page + delta), self.pages)
        return self._fetch()


def _row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(local_time(r["when_iso"], r["when"]), size="1")),
        rx.table.cell(rx.text(r["what"], size="2", class_name="activity-sentence", title=r["actor"])),
        rx.table.cell(rx.text(r["ip"], size="1", color_scheme="gray")),
    )


@org_page("/activity", "Activity", on_load=ActivityState.load)
def activity_page() -> rx.Component:
    return rx.cond(
        ActivityState.can_admin,
        rx.vstack(
            callout_if(ActivityState.error, color_scheme="red"),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[rx.table.column_header_cell(h) for h in ("When", "What happened", "From")]
                    )
                ),
                rx.table.body(rx.foreach(ActivityState.rows, _row)),
                width="100%",
                data_testid="activity-table",
            ),
            pager(ActivityState, "entries"),
            width="100%",
            spacing="3",
        ),
        rx.callout("Only admins can see the activity log.", color_scheme="gray"),
    )
