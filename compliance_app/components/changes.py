""""Since the last scan": the stored changes of an audit (services/audit_diff.py), as a section
of the dashboard (the organization's latest completed audit) and of the audit page (that audit).

The section loads itself when it mounts, reading the organization slug and the audit id from
the URL, so each page only includes `since_last_scan()` (one line). Its state sits beside the
view, as a page's does; rows are built by pure functions (`change_rows`, `resource_rows`)
that tests call directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypedDict

import reflex as rx

from compliance_app.components.figures import severity_badge, status_label, when
from compliance_app.services import audit_diff, scans
from compliance_app.services.errors import ServiceError
from compliance_app.state.offloop import run
from compliance_app.state.org import OrgState

#: The change lists, in the order the section shows them, with their heading and color.
KINDS: tuple[tuple[str, str, str], ...] = (
    ("started_failing", "Started failing", "red"),
    ("could_not_run", "Could not run", "gray"),
    ("fixed", "Fixed", "green"),
    ("accepted", "Accepted as a risk", "amber"),
    ("out_of_scope", "No longer in scope", "blue"),
)


class ChangeRow(TypedDict):
    kind: str
    label: str
    color: str
    key: str
    title: str
    severity: str
    #: "was Pass", "new check", "was Fail · nothing in scope any more"
    was: str


class ResourceRow(TypedDict):
    key: str
    title: str
    text: str


def change_rows(changes: Mapping[str, Any]) -> list[ChangeRow]:
    """One row per changed check, grouped in KINDS order."""
    rows: list[ChangeRow] = []
    for kind, label, color in KINDS:
        for c in changes["checks"][kind]:
            was = f"was {status_label(c['previous'])}" if c["previous"] else "new check"
            if c.get("reason"):
                was += f" · {c['reason']}"
            rows.append(ChangeRow(kind=kind, label=label, color=color, key=c["key"], title=c["title"],
                                  severity=c["severity"], was=was))
    return rows


def _names(part: Mapping[str, Any]) -> str:
    more = part["count"] - len(part["items"])
    return ", ".join(part["items"]) + (f" and {more} more" if more > 0 else "")


def resource_rows(changes: Mapping[str, Any]) -> list[ResourceRow]:
    """Per check present in both audits: its resources newly failing, fixed, accepted, gone."""
    rows: list[ResourceRow] = []
    for r in changes["resources"]:
        parts = [f"{label}: {_names(r[name])}" for name, label in (
            ("newly_failing", "newly failing"), ("fixed", "fixed"), ("accepted", "accepted"),
            ("out_of_scope", "no longer in scope")) if r[name]["count"]]
        rows.append(ResourceRow(key=r["key"], title=r["title"], text="; ".join(parts)))
    return rows


class ChangesState(OrgState):
    changes_loaded: bool = False
    #: False when there is no completed audit yet (the section then stays hidden).
    has_changes: bool = False
    changes_summary: str = ""
    changes_audit_id: str = ""
    previous_audit_id: str = ""
    previous_when: str = ""
    change_rows: list[ChangeRow] = []
    resource_rows: list[ResourceRow] = []
    _changes_loading: bool = False

    def _url_parts(self) -> list[str]:
        return [p for p in (self.router.url.path or "").split("/") if p]

    def _apply_changes(self, changes: dict[str, Any] | None) -> None:
        self.changes_loaded = True
        self.has_changes = changes is not None
        if changes is None:
            return
        self.changes_summary = audit_diff.summary_line(changes)
        self.changes_audit_id = changes["audit_id"]
        self.previous_audit_id = changes["previous_audit_id"] or ""
        finished = changes.get("previous_finished_at")
        self.previous_when = when(datetime.fromisoformat(finished)) if finished else ""
        self.change_rows = change_rows(changes)
        self.resource_rows = resource_rows(changes)

    @rx.event(background=True)
    async def load_changes(self):
        """Dashboard: the latest completed audit's changes; audit page (/o/s/audits/ID): that audit's."""
        async with self:
            if self._changes_loading:
                return
            self._changes_loading = True
            actor, parts = await run(self._actor), self._url_parts()
        try:
            if len(parts) >= 4 and parts[2] == "audits":
                changes = await run(audit_diff.get_audit_changes, actor, parts[3])
            else:
                org_id = await run(scans.organization_id_for_slug, actor, parts[1])
                changes = await run(audit_diff.latest_changes, actor, org_id)
        except ServiceError:  # not completed, not found: the page says so itself
            changes = None
        async with self:
            self._changes_loading = False
            self._apply_changes(changes)


S = ChangesState


def _change(row: ChangeRow) -> rx.Component:
    return rx.hstack(
        rx.badge(row["label"], color_scheme=row["color"], variant="soft", radius="full"),
        severity_badge(row["severity"]),
        rx.text(row["title"], size="2", weight="medium"),
        rx.code(row["key"], size="1"),
        rx.text(row["was"], size="1", color_scheme="gray"),
        spacing="2",
        align="center",
        wrap="wrap",
        class_name="change-row",
    )


def _resources(row: ResourceRow) -> rx.Component:
    return rx.text(rx.text.strong(row["title"]), " — ", row["text"], size="2", class_name="change-resources")


def since_last_scan() -> rx.Component:
    """The card; hidden until loaded and when the organization has no completed audit."""
    href = "/o/" + S.org_slug + "/audits/" + S.previous_audit_id
    return rx.box(
        rx.cond(
            S.changes_loaded & S.has_changes,
            rx.card(
                rx.vstack(
                    rx.hstack(
                        rx.heading("Since the last scan", size="4"),
                        rx.spacer(),
                        rx.cond(S.previous_audit_id != "",
                                rx.link("compared with the audit of " + S.previous_when, href=href, size="1",
                                        class_name="changes-previous")),
                        width="100%",
                        align="center",
                        wrap="wrap",
                    ),
                    rx.text(S.changes_summary, size="2", class_name="changes-summary"),
                    # A first scan has nothing to compare with: its failures are in the figures below,
                    # not news "since the last scan".
                    rx.cond(S.previous_audit_id != "", rx.vstack(
                        rx.foreach(S.change_rows, _change),
                        rx.cond(S.resource_rows.length() > 0,
                                rx.vstack(rx.text("Resources", size="1", weight="bold", color_scheme="gray"),
                                          rx.foreach(S.resource_rows, _resources), spacing="1", width="100%")),
                        spacing="2",
                        width="100%",
                    )),
                    spacing="2",
                    width="100%",
                ),
                width="100%",
                class_name="since-last-scan",
            ),
        ),
        on_mount=ChangesState.load_changes,
        width="100%",
    )
