"""/o/{slug}/audits/{audit_id}: one audit's evidence — filter, search, sort, page — and a drawer.

The drawer shows the check's rationale, the remediation, the raw proof as JSON and the
proof file. Files are posted as a plain multipart form to /api/evidence/{id}/file (never
Reflex's public /_upload); that route redirects back here with ?evidence=ID and a notice
or an error, which `load` turns into a toast and the reopened drawer.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from compliance_app.components.changes import since_last_scan
from compliance_app.components.figures import (
    PROVIDER_LABELS,
    SEVERITY_COLORS,
    day,
    duration,
    iso_utc,
    local_time,
    severity_badge,
    status_badge,
    status_label,
    when,
)
from compliance_app.components.forms import callout_if, field_error
from compliance_app.components.layout import empty_state
from compliance_app.components.org_page import org_page
from compliance_app.components.table import pager, scroll_table
from compliance_app.models.types import utcnow
from compliance_app.services import audit_outcome, check_results, dashboard, risk
from compliance_app.services.errors import AuthenticationRequired, ServiceError
from compliance_app.services.readiness import FRAMEWORKS
from compliance_app.services.scans import EvidenceRow
from compliance_app.state.org import OrgState
from compliance_app.state.paged import PagedListState

PAGE_SIZE = 25
#: Results a check can have, worst first (the filter's options).
CHECK_RESULTS = ["FAIL", "ERROR", "RISK_ACCEPTED", "PASS", "NOT_APPLICABLE"]
#: Resources listed when a check is expanded (the drawer opens any one of them).
RESOURCES_SHOWN = 50
#: Filters kept in the URL, so a filtered view can be shared and survives a reload.
URL_FILTERS = {"status": "status_filter", "severity": "severity_filter", "provider": "provider_filter",
               "framework": "framework_filter", "q": "search"}
DEFAULT_ACCEPT_DAYS = 90
_SUBMIT_UPLOAD = "HTMLFormElement.prototype.submit.call(document.querySelector('form.upload-form'))"


def check_row(c: check_results.CheckRow) -> dict[str, str]:
    """A check as the audit page lists it: 'Public S3 buckets — Fail — 3 of 120 resources failing'."""
    return {
        "key": c.question_key,
        "title": c.title,
        "provider": PROVIDER_LABELS.get(c.provider, c.provider),
        "severity": c.severity,
        "result": c.result,
        "result_label": status_label(c.result),
        "resources": c.resources_text,
    }


def resource_row(e: EvidenceRow) -> dict[str, str]:
    """One resource of an expanded check; clicking it opens the evidence drawer."""
    return {
        "id": str(e.id),
        "status": e.status,
        "status_label": status_label(e.status),
        "resource": e.resource_id or "—",
        "region": e.region or "",
        "message": e.message,
        "file": "yes" if e.screenshot else "",
    }


class AuditDetailState(PagedListState, OrgState):
    audit_key: str = ""
    audit_found: bool = True
    header: dict[str, str] = {}
    severity_filter: str = "all"
    provider_filter: str = "all"
    framework_filter: str = "all"
    search: str = ""
    #: The check whose resources are shown under its row ("" when none), and those resources.
    expanded: str = ""
    resources: list[dict[str, str]] = []
    resources_note: str = ""
    #: "Regions scanned: …" lines from the audit's scope (empty when it records none).
    scope_lines: list[str] = []
    drawer_open: bool = False
    ev: dict[str, Any] = {}
    upload_error: str = ""
    accept_reason: str = ""
    accept_until: str = ""
    accept_error: str = ""

    # --- loading ---------------------------------------------------------------------
    def _audit_from_url(self) -> str:
        parts = [p for p in (self.router.url.path or "").split("/") if p]
        return parts[3] if len(parts) >= 4 and parts[2] == "audits" else ""

    def _filter(self, value: str) -> str | None:
        return None if value == "all" else value

    def _load_header(self) -> None:
        a = dashboard.audit_overview(self._actor(), self.audit_key)
        self.header = {
            "status": a.status,
            "status_label": status_label(a.status),
            "score": "—" if a.score is None else str(a.score),
            "created": when(a.created_at),
            "created_iso": iso_utc(a.created_at),
            "duration": duration(a.created_at, a.finished_at),
            "by": a.triggered_by or "a scheduled scan",
            "error": a.error or a.problem or "",
            "scored": a.scored_text,
            # Checks per result (the unit of the score), as the dashboard counts them.
            **{f"n_{k.lower()}": f"{v:,}" for k, v in a.check_counts.items()},
        }
        self.scope_lines = audit_outcome.get_audit_scope(self._actor(), self.audit_key)

    def _load_rows(self):
        """One row per check (its result rolled up from its resources), filtered on that result."""
        try:
            result = check_results.list_check_results(
                self._actor(), self.audit_key,
                result=self._filter(self.status_filter), severity=self._filter(self.severity_filter),
                provider=self._filter(self.provider_filter), framework=self._filter(self.framework_filter),
                search=self.search, page=self.page, page_size=PAGE_SIZE,
            )
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        self.total, self.pages = result.total, result.pages
        self.rows = [check_row(c) for c in result.items]
        if self.expanded not in {r["key"] for r in self.rows}:
            self.expanded, self.resources, self.resources_note = "", [], ""
        return None

    def _load_resources(self) -> None:
        found = check_results.list_check_resources(self._actor(), self.audit_key, self.expanded,
                                                   page_size=RESOURCES_SHOWN)
        self.resources = [resource_row(e) for e in found.items]
        self.resources_note = (f"The first {RESOURCES_SHOWN} of {found.total:,} resources, failures first."
                               if found.total > RESOURCES_SHOWN else "")

    def _open_evidence(self, evidence_id: str) -> None:
        d = dashboard.get_evidence_detail(self._actor(), evidence_id)
        self.accept_reason = self.accept_error = ""
        self.accept_until = (utcnow() + timedelta(days=DEFAULT_ACCEPT_DAYS)).date().isoformat()
        e = d.row
        has_file = bool(e.screenshot)
        self.ev = {
            "id": str(e.id),
            "key": e.question_key,
            "title": d.question_title,
            "status": e.status,
            "status_label": status_label(e.status),
            "original": status_label(e.original_status) if e.original_status and e.original_status != e.status
            else "",
            "severity": e.severity,
            "provider": e.provider,
            "resource": e.resource_id or "—",
            "region": e.region or "",
            "message": e.message,
            "description": d.description,
            "rationale": d.rationale or "No rationale recorded for this check.",
            "remediation": e.remediation_steps or d.remediation or "No remediation needed.",
            "frameworks": " · ".join(f"{k} {', '.join(v)}" for k, v in sorted(d.frameworks.items())) or "—",
            "raw_json": json.dumps(e.raw_data, indent=2, sort_keys=True, ensure_ascii=False, default=str),
            "has_file": has_file,
            "file_is_image": has_file and (d.screenshot_content_type or "").startswith("image/"),
            # The stored name changes on every upload, so the thumbnail never shows a stale file.
            "file_url": f"/api/evidence/{e.id}/file?v={(e.screenshot or '')[:8]}",
            "can_accept": e.status == "FAIL",
        }
        self.drawer_open = True

    @rx.event
    def load(self):
        self.loaded = False
        self.drawer_open = False
        redirect = self._enter_org()
        if redirect is not None or not self.org_found:
            return redirect
        self.audit_key = self._audit_from_url()
        params = self.router.url.query_parameters
        self._filters_from(params)
        self.page, self.upload_error = 1, ""
        self.expanded, self.resources, self.resources_note = "", [], ""
        try:
            self._load_header()
        except ServiceError:
            self.audit_found = False
            self.loaded = True
            return None
        self.audit_found = True
        events: list[Any] = [self._load_rows()]
        if params.get("evidence", "").isdigit():
            try:
                self._open_evidence(params["evidence"])
                # Show the evidence among its check's resources, as if the user had opened it there.
                self.expanded = self.ev["key"]
                self._load_resources()
            except ServiceError as exc:
                events.append(rx.toast.error(exc.message))
            if params.get("error"):
                self.upload_error = params["error"]
                events.append(rx.toast.error(params["error"]))
            elif params.get("notice"):
                events.append(rx.toast.success(params["notice"]))
        self.loaded = True
        return [e for e in events if e is not None]

    # --- filters (kept in the URL) ------------------------------------------------------
    def _filters_from(self, params: Any) -> None:
        """Filters from the query string; unknown values fall back to "all"."""
        allowed = {"status_filter": CHECK_RESULTS, "severity_filter": list(SEVERITY_COLORS),
                   "provider_filter": list(PROVIDER_LABELS), "framework_filter": list(FRAMEWORKS)}
        for param, name in URL_FILTERS.items():
            value = str(params.get(param, "") or "")
            if name == "search":
                self.search = value[:200]
            else:
                setattr(self, name, value if value in allowed[name] else "all")

    def _filters_query(self) -> str:
        pairs = {param: getattr(self, name) for param, name in URL_FILTERS.items()}
        return urlencode({k: v for k, v in pairs.items() if v not in ("", "all")})

    def _set_and_reload(self, name: str, value: str):
        setattr(self, name, value)
        self.page = 1
        query = self._filters_query()
        refused = self._load_rows()
        # Replace (not push) the URL: the filtered view can be shared and survives a reload.
        url = json.dumps(self.router.url.path + (f"?{query}" if query else ""))
        return [e for e in (refused, rx.call_script(f"window.history.replaceState(null, '', {url})")) if e]

    @rx.event
    def set_status_filter(self, value: str):
        return self._set_and_reload("status_filter", value)

    @rx.event
    def set_severity_filter(self, value: str):
        return self._set_and_reload("severity_filter", value)

    @rx.event
    def set_provider_filter(self, value: str):
        return self._set_and_reload("provider_filter", value)

    @rx.event
    def set_framework_filter(self, value: str):
        return self._set_and_reload("framework_filter", value)

    @rx.event
    def toggle_check(self, key: str):
        """Show (or hide) a check's resources under its row."""
        if self.expanded == key:
            self.expanded, self.resources, self.resources_note = "", [], ""
            return None
        self.expanded = key
        try:
            self._load_resources()
        except ServiceError as exc:
            self.expanded = ""
            return rx.toast.error(exc.message)
        return None

    @rx.event
    def set_search(self, value: str):
        return self._set_and_reload("search", value)

    # --- drawer ----------------------------------------------------------------------
    @rx.event
    def open_evidence(self, evidence_id: str):
        self.upload_error = ""
        try:
            self._open_evidence(evidence_id)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        return None

    @rx.event
    def set_drawer_open(self, value: bool) -> None:
        self.drawer_open = value

    @rx.event
    def set_accept_reason(self, value: str) -> None:
        self.accept_reason = value

    @rx.event
    def set_accept_until(self, value: str) -> None:
        self.accept_until = value

    @rx.event
    def accept_risk(self):
        """Refusals show at the form (not as toasts that stack); success says until when."""
        self.accept_error = ""
        try:
            until = date.fromisoformat(self.accept_until) if self.accept_until else None
        except ValueError:
            self.accept_error = "Enter the expiry as a date."
            return None
        try:
            accepted = risk.accept_risk_for_evidence(self._actor(), int(self.ev["id"]), self.accept_reason, until)
        except AuthenticationRequired:
            return self._login_redirect()
        except ServiceError as exc:
            self.accept_error = exc.message
            return None
        self._open_evidence(self.ev["id"])
        self._load_header()
        refused = self._load_rows()
        if self.expanded:
            self._load_resources()
        return [e for e in (refused, rx.toast.success(f"Risk accepted until {day(accepted.expires_at)}."))
                if e is not None]


# --- components -------------------------------------------------------------------------
S = AuditDetailState


def _select(value: rx.Var, on_change: Any, items: list[tuple[str, str]], placeholder: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder),
        rx.select.content(*[rx.select.item(label, value=v) for v, label in items]),
        value=value,
        on_change=on_change,
        size="2",
    )


def _filters() -> rx.Component:
    return rx.flex(
        rx.input(
            rx.input.slot(rx.icon("search", size=16)),
            placeholder="Search checks…",
            value=S.search,
            on_change=S.set_search.debounce(300),
            width=["100%", "100%", "280px"],
            class_name="evidence-search",
        ),
        _select(S.status_filter, S.set_status_filter,
                [("all", "All results")] + [(s, status_label(s)) for s in CHECK_RESULTS], "Result"),
        _select(S.severity_filter, S.set_severity_filter,
                [("all", "All severities")] + [(s, s.capitalize()) for s in SEVERITY_COLORS], "Severity"),
        _select(S.provider_filter, S.set_provider_filter,
                [("all", "All providers"), *PROVIDER_LABELS.items()], "Provider"),
        _select(S.framework_filter, S.set_framework_filter,
                [("all", "All frameworks")] + [(f, f) for f in FRAMEWORKS], "Framework"),
        spacing="2",
        wrap="wrap",
        align="center",
        width="100%",
    )


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
        on_click=S.open_evidence(row["id"]),
        cursor="pointer",
        padding="0.4em 0.5em",
        border_radius="6px",
        width="100%",
        align="start",
        _hover={"background": rx.color("accent", 3)},
        class_name="evidence-row",
    )


def _check(row: rx.Var) -> rx.Component:
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


def _header() -> rx.Component:
    h = S.header
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(status_badge(h["status"], h["status_label"]),
                          rx.text(local_time(h["created_iso"], h["created"]), weight="medium"), align="center",
                          wrap="wrap"),
                rx.text("Triggered by ", h["by"], rx.cond(h["duration"] != "", " · took " + h["duration"], ""),
                        size="2", color_scheme="gray"),
                rx.cond(h["scored"] != "", rx.text(h["scored"], size="2", weight="medium", class_name="scored-text")),
                rx.cond(h["error"] != "", rx.text(h["error"], color_scheme="red", size="2")),
                rx.foreach(S.scope_lines, lambda line: rx.text(line, size="1", color_scheme="gray",
                                                               class_name="audit-scope")),
                spacing="1",
            ),
            rx.spacer(),
            rx.hstack(
                rx.vstack(rx.text("Score", size="1", color_scheme="gray"),
                          rx.heading(h["score"], size="7", class_name="audit-score"), spacing="0", align="center"),
                *[
                    rx.vstack(rx.text(label, size="1", color_scheme="gray"),
                              rx.text(h[key], size="5", weight="bold", color=rx.color(color, 11)),
                              spacing="0", align="center")
                    for label, key, color in (("Passing", "n_pass", "green"), ("Failing", "n_fail", "red"),
                                              ("Accepted", "n_risk_accepted", "amber"),
                                              ("Could not run", "n_error", "gray"))
                ],
                spacing="5",
                align="center",
                wrap="wrap",
            ),
            gap="4",
            wrap="wrap",
            align="center",
            width="100%",
        ),
        width="100%",
    )


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(title, size="2", weight="bold"), *children, spacing="1", width="100%")


def _upload_form() -> rx.Component:
    return rx.el.form(
        rx.el.input(type="hidden", name="next", value=rx.cond(
            S.status_filter != "all",
            "/o/" + S.org_slug + "/audits/" + S.audit_key + "?status=" + S.status_filter,
            "/o/" + S.org_slug + "/audits/" + S.audit_key,
        )),
        rx.flex(
            rx.el.input(type="file", name="file", accept="image/png,image/jpeg,application/pdf", required=True,
                        class_name="evidence-file-input", style={"fontSize": "14px", "maxWidth": "100%"}),
            # Native submit(): Reflex's form handler would cancel the post (this is a plain HTTP upload).
            rx.button(rx.icon("upload", size=14), "Upload proof", type="button", size="2", variant="soft",
                      class_name="upload-proof", on_click=rx.call_script(_SUBMIT_UPLOAD)),
            gap="2",
            wrap="wrap",
            align="center",
        ),
        rx.text("PNG, JPEG or PDF, up to 10 MB. Stored privately; only members of this organization can open it.",
                size="1", color_scheme="gray"),
        callout_if(S.upload_error, icon="triangle-alert", color_scheme="red", size="1", class_name="upload-error"),
        action="/api/evidence/" + S.ev["id"].to(str) + "/file",
        method="post",
        enc_type="multipart/form-data",
        class_name="upload-form",
    )


def _proof_file() -> rx.Component:
    ev = S.ev
    return rx.cond(
        ev["has_file"].to(bool),
        rx.cond(
            ev["file_is_image"].to(bool),
            rx.link(
                rx.image(src=ev["file_url"].to(str), alt="Proof screenshot", max_height="220px", max_width="100%",
                         border_radius="6px", border=f"1px solid {rx.color('gray', 6)}", class_name="proof-thumb"),
                href=ev["file_url"].to(str), is_external=True,
            ),
            rx.link(rx.hstack(rx.icon("file-text", size=28), rx.text("Open the PDF proof"), align="center"),
                    href=ev["file_url"].to(str), is_external=True, class_name="proof-pdf"),
        ),
        rx.text("No proof file yet.", size="2", color_scheme="gray"),
    )


def _accept_form() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text("Accept this risk", weight="bold", size="2"),
            rx.text("The failure is recorded as accepted for this resource until the date below; new scans apply it "
                    "too. You can revoke it under Risk acceptances.", size="1", color_scheme="gray"),
            rx.text_area(placeholder="Why is this risk acceptable? (required)", value=S.accept_reason,
                         on_change=S.set_accept_reason, width="100%", class_name="accept-reason"),
            rx.hstack(
                rx.text("Until", size="2"),
                rx.input(type="date", value=S.accept_until, on_change=S.set_accept_until, class_name="accept-until"),
                rx.spacer(),
                rx.button("Accept risk", color_scheme="amber", on_click=S.accept_risk, class_name="accept-risk"),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            field_error(S.accept_error, class_name="accept-error"),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="accept-form",
    )


def _drawer() -> rx.Component:
    ev = S.ev
    return rx.dialog.root(
        rx.dialog.content(
            rx.vstack(
                rx.hstack(
                    rx.dialog.title(ev["title"].to(str), size="5", margin="0"),
                    rx.spacer(),
                    rx.dialog.close(rx.icon_button(rx.icon("x", size=16), variant="ghost", aria_label="Close")),
                    width="100%",
                    align="start",
                ),
                rx.hstack(
                    status_badge(ev["status"].to(str), ev["status_label"].to(str)),
                    severity_badge(ev["severity"].to(str)),
                    rx.badge(ev["provider"].to(str), variant="surface"),
                    rx.cond(ev["original"].to(str) != "",
                            rx.text("check reported ", ev["original"].to(str), size="1", color_scheme="gray")),
                    rx.code(ev["key"].to(str), size="1"),
                    wrap="wrap",
                    spacing="2",
                    align="center",
                ),
                _section("Resource", rx.text(ev["resource"].to(str), font_family="monospace", size="2",
                                             word_break="break-all", class_name="evidence-resource"),
                         rx.cond(ev["region"].to(str) != "", rx.text("Region ", ev["region"].to(str), size="1",
                                                                     color_scheme="gray"))),
                _section("Finding", rx.text(ev["message"].to(str), size="2")),
                _section("Why it matters", rx.text(ev["rationale"].to(str), size="2")),
                # Markdown (code spans, lists) without raw HTML: remediation text comes from the
                # catalog but may quote what a provider returned.
                _section("How to fix it", rx.markdown(ev["remediation"].to(str), use_raw=False,
                                                      class_name="remediation")),
                _section("Frameworks", rx.text(ev["frameworks"].to(str), size="2")),
                _section(
                    "Raw proof (as collected)",
                    rx.el.pre(ev["raw_json"].to(str), class_name="raw-json",
                              style={"maxHeight": "260px", "overflow": "auto", "padding": "0.75em", "margin": "0",
                                     "fontSize": "12px", "borderRadius": "6px", "width": "100%",
                                     "background": rx.color("gray", 3), "whiteSpace": "pre-wrap",
                                     "wordBreak": "break-all"}),
                ),
                _section("Proof file", _proof_file(), rx.cond(S.can_member, _upload_form())),
                rx.cond(S.can_admin & ev["can_accept"].to(bool), _accept_form()),
                spacing="4",
                width="100%",
            ),
            max_width="760px",
            width="96vw",
            class_name="evidence-drawer",
        ),
        open=S.drawer_open,
        on_open_change=S.set_drawer_open,
    )


def _content() -> rx.Component:
    table = scroll_table(("Result", "Severity", "Check", "Resources", "Provider"), S.rows, _check, size="1")
    paged = rx.vstack(table, pager(S, "checks", class_name="evidence-total"), width="100%", spacing="3")
    body = rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text("All audits"), align="center", spacing="1"),
                href="/o/" + S.org_slug + "/audits", size="2"),
        _header(),
        since_last_scan(),
        _filters(),
        rx.cond(S.rows.length() > 0, paged,
                empty_state("search-x", "No check matches", "Change the filters or the search.")),
        _drawer(),
        spacing="4",
        width="100%",
    )
    return rx.cond(
        S.loaded,
        rx.cond(S.audit_found, body,
                empty_state("file-question", "Audit not found", "It does not exist, or it belongs to another "
                            "organization.", rx.link("All audits", href="/o/" + S.org_slug + "/audits"))),
        rx.vstack(rx.skeleton(height="90px", width="100%"),
                  *[rx.skeleton(height="36px", width="100%") for _ in range(8)], width="100%"),
    )


@org_page("/audits/[audit_id]", "Audit", on_load=AuditDetailState.load)
def audit_detail_page() -> rx.Component:
    return _content()
