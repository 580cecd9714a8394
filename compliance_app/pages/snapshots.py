"""/o/{slug}/snapshots: freeze audits, check their integrity, pin them, share them.

Everyone in the organization sees the list with its verification badges; members can
freeze the latest completed audit; admins pin/unpin and manage public links. The flags
only hide controls: the services decide. A new link's token is shown once, right here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import reflex as rx

from compliance_app.components.figures import iso_utc, local_time, when
from compliance_app.components.forms import callout_if
from compliance_app.components.org_page import org_page
from compliance_app.models.snapshot import LinkDisclosure
from compliance_app.services import authz, dashboard, shares, snapshots
from compliance_app.services.errors import ServiceError
from compliance_app.services.snapshots_view import snapshots_view
from compliance_app.settings import get_settings
from compliance_app.state.offloop import off_loop
from compliance_app.state.org import OrgState

EXPIRY_CHOICES = ["1d", "7d", "30d", "90d", "365d"]
#: Completed audits the "create a snapshot" form offers, newest first.
AUDIT_CHOICES = 20
#: The choices of what a new link shows (services/redaction.py), the default first.
DISCLOSURE_CHOICES = [
    (LinkDisclosure.REDACT.value, "Redact identifiers (names, account and key ids, resource names)"),
    (LinkDisclosure.HIDE_RAW.value, "Hide raw proof (results and resources only)"),
    (LinkDisclosure.FULL.value, "Everything, raw API data included"),
]
#: The read-only field that receives a new link (see SnapshotsState.link_shown).
NEW_LINK_ID = "new-link-url"


def _moment(value: str | None) -> datetime | None:
    """A timestamp the snapshot listing carries as ISO text (the frozen audit's finish)."""
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _audit_label(a: dashboard.AuditRow) -> str:
    """'1 Dec 2026, 14:05 UTC — score 72', or why it has none: the user sees what they freeze
    (a select option is plain text, so it shows the UTC form rather than local_time)."""
    outcome = f"score {a.score}" if a.score is not None else "nothing scored"
    return f"{when(a.finished_at or a.created_at)} — {outcome}"


class SnapshotsState(OrgState):
    rows: list[dict[str, str]] = []
    links: list[dict[str, str]] = []
    #: The organization's signed chain: its newest link (the share page shows it too).
    chain_head: str = ""
    page: int = 1
    pages: int = 1
    #: Completed audits the create form offers (newest first), and the one chosen: the newest
    #: with a score unless the user picks another.
    audit_choices: list[dict[str, str]] = []
    chosen_audit: str = ""
    notice: str = ""
    error: str = ""
    share_for: str = ""
    share_expiry: str = "30d"
    share_label: str = ""
    share_disclosure: str = LinkDisclosure.REDACT.value
    #: The new link itself never enters the state (it would be kept with it, e.g. in Redis):
    #: create_link writes it straight into the dialog's read-only field.
    link_shown: bool = False

    def _refresh(self) -> None:
        view = snapshots_view(self._actor(), self._org_uuid(), self.page, AUDIT_CHOICES)
        result, chain = view.snapshots, view.chain
        self.pages = result.pages
        self.chain_head = (f"Chain head: sequence {chain.head.sequence}, sha256 {chain.head.checksum}"
                           if chain.head else "")
        self.rows = [
            {
                "id": str(item.id),
                "created_at": when(item.created_at),
                "created_at_iso": iso_utc(item.created_at),
                "audit_date": when(_moment(item.audit_finished_at)),
                "audit_date_iso": iso_utc(_moment(item.audit_finished_at)),
                "score": "—" if item.score is None else str(item.score),
                "score_basis": item.score_basis,
                "evidence": str(item.evidence_count),
                "checksum": item.checksum,
                "short": item.checksum[:12] + "…",
                "valid": "valid" if item.valid else "invalid",
                "pinned": "yes" if item.is_pinned else "",
                "by": item.created_by or "",
                "signature": chain.labels.get(item.id, ""),
            }
            for item in result.items
        ]
        completed = view.completed_audits
        self.audit_choices = [{"id": a.id, "label": _audit_label(a)} for a in completed]
        if self.chosen_audit not in {a.id for a in completed}:
            scored = [a.id for a in completed if a.score is not None]
            self.chosen_audit = scored[0] if scored else (completed[0].id if completed else "")
        self.links = [
            {
                "id": str(link.id),
                "snapshot_id": str(link.snapshot_id),
                "label": link.label,
                "status": link.status,
                "expires_at": when(link.expires_at),
                "expires_at_iso": iso_utc(link.expires_at),
                "views": str(link.view_count),
                "last_viewed": when(link.last_viewed_at),
                "last_viewed_iso": iso_utc(link.last_viewed_at),
            }
            for link in view.links
        ]

    def _run(self, action: Callable[[], object]) -> None:
        self.error = self.notice = ""
        try:
            action()
            self._refresh()
        except ServiceError as exc:
            self.error = str(exc)

    @rx.event
    @off_loop
    def load(self) -> rx.event.EventSpec | None:
        if (redirect := self._enter_org()) is not None or not self.org_found:
            return redirect
        self.share_for = ""
        self.link_shown = False
        self._run(lambda: None)
        return None

    @rx.event
    def set_chosen_audit(self, value: str) -> None:
        self.chosen_audit = value

    @rx.event
    @off_loop
    def create_snapshot(self) -> None:
        def act() -> None:
            summary = snapshots.create_snapshot(self._actor(), self.chosen_audit)
            self.notice = f"Snapshot {summary.id} created (sha256 {summary.checksum[:16]}…)."

        self._run(act)

    @rx.event
    @off_loop
    def toggle_pin(self, snapshot_id: str, pinned: str) -> None:
        self._run(lambda: snapshots.set_pinned(
            self._actor(), authz.int_or_not_found(snapshot_id, "Snapshot not found."), pinned != "yes"))

    @rx.event
    def open_share(self, snapshot_id: str) -> None:
        self.share_for = snapshot_id
        self.share_label = ""
        self.share_expiry = "30d"
        self.share_disclosure = LinkDisclosure.REDACT.value
        self.link_shown = False

    @rx.event
    def close_share(self) -> None:
        self.share_for = ""
        self.link_shown = False

    @rx.event
    def set_share_expiry(self, value: str) -> None:
        self.share_expiry = value

    @rx.event
    def set_share_label(self, value: str) -> None:
        self.share_label = value

    @rx.event
    def set_share_disclosure(self, value: str) -> None:
        self.share_disclosure = value

    @rx.event
    @off_loop
    def create_link(self) -> Iterator[rx.event.EventSpec | None]:
        created: list[str] = []

        def act() -> None:
            _link, token = shares.create_link(
                self._actor(), authz.int_or_not_found(self.share_for, "Snapshot not found."),
                shares.parse_expires_in(self.share_expiry), self.share_label,
                shares.parse_disclosure(self.share_disclosure),
            )
            base = get_settings().app_url.rstrip("/") or (self.router.headers.origin or "").rstrip("/")
            created.append(f"{base}/share/{token}")

        self._run(act)
        if created:
            self.link_shown = True
            yield  # the field is on the page before its value arrives
            yield rx.set_value(NEW_LINK_ID, created[0])

    @rx.event
    @off_loop
    def revoke(self, link_id: str) -> None:
        self._run(lambda: shares.revoke_link(self._actor(), link_id))

    @rx.event
    @off_loop
    def go_page(self, delta: int) -> None:
        self.page = min(max(1, self.page + delta), self.pages)
        self._run(lambda: None)


def _verification(value: rx.Var) -> rx.Component:
    return rx.cond(
        value == "valid",
        rx.badge(rx.icon("shield-check", size=14), "valid", color_scheme="green", data_testid="verify-badge"),
        rx.badge(rx.icon("shield-x", size=14), "invalid", color_scheme="red", data_testid="verify-badge"),
    )


def _snapshot_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["id"]),
        rx.table.cell(local_time(row["created_at_iso"], row["created_at"])),
        rx.table.cell(local_time(row["audit_date_iso"], row["audit_date"])),
        rx.table.cell(rx.vstack(rx.text(row["score"]), rx.text(row["score_basis"], size="1", color_scheme="gray"),
                                spacing="0")),
        rx.table.cell(row["evidence"]),
        rx.table.cell(rx.tooltip(rx.code(row["short"]), content=row["checksum"])),
        rx.table.cell(_verification(row["valid"])),
        rx.table.cell(rx.text(row["signature"], size="1", color_scheme="gray"), data_testid="snapshot-signature",
                      max_width="22em"),
        rx.table.cell(rx.cond(row["pinned"] == "yes", rx.badge("pinned", color_scheme="indigo"), "")),
        rx.table.cell(
            rx.cond(
                SnapshotsState.can_admin,
                rx.hstack(
                    rx.button(
                        rx.cond(row["pinned"] == "yes", "Unpin", "Pin"), size="1", variant="soft",
                        on_click=SnapshotsState.toggle_pin(row["id"], row["pinned"]),
                    ),
                    rx.button("Share", size="1", on_click=SnapshotsState.open_share(row["id"]),
                              data_testid="share-open"),
                    spacing="2",
                ),
            )
        ),
        data_testid="snapshot-row",
    )


def _snapshot_table() -> rx.Component:
    headers = ["#", "Created", "Audit", "Score", "Evidence", "Checksum", "Integrity", "Signature", "", ""]
    return rx.cond(
        SnapshotsState.rows.length() > 0,
        rx.vstack(
            rx.cond(SnapshotsState.chain_head != "",
                    rx.text(SnapshotsState.chain_head, size="1", color_scheme="gray", data_testid="chain-head",
                            style={"word-break": "break-all"})),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
                rx.table.body(rx.foreach(SnapshotsState.rows, _snapshot_row)),
                width="100%",
            ),
            rx.hstack(
                rx.button("Previous", size="1", variant="soft", on_click=SnapshotsState.go_page(-1),
                          disabled=SnapshotsState.page <= 1),
                rx.text("Page ", SnapshotsState.page, " of ", SnapshotsState.pages, size="2"),
                rx.button("Next", size="1", variant="soft", on_click=SnapshotsState.go_page(1),
                          disabled=SnapshotsState.page >= SnapshotsState.pages),
                align="center",
            ),
            width="100%",
        ),
        rx.text("No snapshots yet. Freeze a completed audit to keep an immutable, verifiable copy.",
                color_scheme="gray"),
    )


def _share_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Share snapshot #", SnapshotsState.share_for),
            rx.cond(
                SnapshotsState.link_shown,
                rx.vstack(
                    rx.callout("Copy this link now: it is shown only once.", icon="key-round",
                               color_scheme="amber"),
                    rx.input(id=NEW_LINK_ID, read_only=True, width="100%", data_testid="new-link-url"),
                    rx.hstack(
                        rx.button(rx.icon("copy"), "Copy", on_click=rx.set_clipboard(
                            rx.Var(f"document.getElementById({NEW_LINK_ID!r})?.value ?? ''"))),
                        rx.button("Done", variant="soft", on_click=SnapshotsState.close_share),
                    ),
                    spacing="3",
                ),
                rx.vstack(
                    rx.text("Anyone with the link can view this snapshot without signing in.", size="2"),
                    rx.text("Expires in", size="2", weight="medium"),
                    rx.select(EXPIRY_CHOICES, value=SnapshotsState.share_expiry,
                              on_change=SnapshotsState.set_share_expiry),
                    rx.text("What it shows", size="2", weight="medium"),
                    rx.radio_group.root(
                        rx.vstack(
                            *[rx.text(rx.flex(rx.radio_group.item(value=value), label, spacing="2"),
                                      as_="label", size="2")
                              for value, label in DISCLOSURE_CHOICES],
                            spacing="1",
                        ),
                        value=SnapshotsState.share_disclosure,
                        on_change=SnapshotsState.set_share_disclosure,
                        data_testid="share-disclosure",
                    ),
                    rx.text("Label (who it is for)", size="2", weight="medium"),
                    rx.input(value=SnapshotsState.share_label, on_change=SnapshotsState.set_share_label,
                             placeholder="e.g. External auditor, Q4", max_length=200),
                    rx.cond(SnapshotsState.error != "", rx.text(SnapshotsState.error, color_scheme="red")),
                    rx.hstack(
                        rx.button("Create link", on_click=SnapshotsState.create_link, data_testid="share-create"),
                        rx.button("Cancel", variant="soft", on_click=SnapshotsState.close_share),
                    ),
                    spacing="3",
                ),
            ),
        ),
        open=SnapshotsState.share_for != "",
    )


def _revoke_button(link: rx.Var) -> rx.Component:
    """Revoking is immediate for whoever holds the link: confirm first, as removing an integration does."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Revoke", size="1", color_scheme="red", variant="soft")),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Revoke this link?"),
            rx.alert_dialog.description(
                "Anyone who has this link gets “Link not found or expired” from now on. "
                "This cannot be undone; create a new link to share again.", size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Revoke link", color_scheme="red",
                                                 on_click=SnapshotsState.revoke(link["id"]),
                                                 data_testid="link-revoke-confirm")),
                spacing="3",
                justify="end",
                margin_top="1em",
            ),
        ),
    )


def _links_table() -> rx.Component:
    status_color = lambda s: rx.match(s, ("active", "green"), ("expired", "gray"), "red")  # noqa: E731
    return rx.vstack(
        rx.heading("Public links", size="4"),
        rx.cond(
            SnapshotsState.links.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(*[
                    rx.table.column_header_cell(h)
                    for h in ("Snapshot", "Label", "Status", "Expires", "Views", "Last viewed", "")
                ])),
                rx.table.body(rx.foreach(SnapshotsState.links, lambda link: rx.table.row(
                    rx.table.cell(link["snapshot_id"]),
                    rx.table.cell(link["label"]),
                    rx.table.cell(rx.badge(link["status"], color_scheme=status_color(link["status"]))),
                    rx.table.cell(local_time(link["expires_at_iso"], link["expires_at"])),
                    rx.table.cell(link["views"]),
                    rx.table.cell(rx.cond(link["last_viewed_iso"] != "",
                                          local_time(link["last_viewed_iso"], link["last_viewed"]), "never")),
                    rx.table.cell(rx.cond(
                        link["status"] == "active",
                        _revoke_button(link),
                    )),
                    data_testid="link-row",
                ))),
                width="100%",
            ),
            rx.text("No public links.", color_scheme="gray"),
        ),
        width="100%",
    )


def _content() -> rx.Component:
    return rx.vstack(
        callout_if(SnapshotsState.notice, icon="info"),
        rx.cond(
            (SnapshotsState.error != "") & (SnapshotsState.share_for == ""),
            rx.callout(SnapshotsState.error, icon="triangle-alert", color_scheme="red"),
        ),
        rx.cond(
            SnapshotsState.can_member,
            rx.cond(
                SnapshotsState.audit_choices.length() > 0,
                rx.hstack(
                    rx.select.root(
                        rx.select.trigger(placeholder="Audit to freeze", aria_label="Audit to freeze"),
                        rx.select.content(rx.foreach(SnapshotsState.audit_choices,
                                                     lambda a: rx.select.item(a["label"], value=a["id"]))),
                        value=SnapshotsState.chosen_audit,
                        on_change=SnapshotsState.set_chosen_audit,
                        data_testid="snapshot-audit",
                    ),
                    rx.button(rx.icon("camera"), "Snapshot this audit",
                              on_click=SnapshotsState.create_snapshot, data_testid="snapshot-create"),
                    align="center",
                    wrap="wrap",
                ),
                rx.text("Run a scan first: only completed audits can be frozen.", color_scheme="gray"),
            ),
        ),
        _snapshot_table(),
        rx.cond(SnapshotsState.can_admin, _links_table()),
        _share_dialog(),
        spacing="5",
        width="100%",
    )


@org_page("/snapshots", "Snapshots", on_load=SnapshotsState.load)
def snapshots_page() -> rx.Component:
    return _content()
