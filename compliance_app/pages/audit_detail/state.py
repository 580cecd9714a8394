"""The audit page's states and the typed rows they hold, built by pure functions tests call.

AuditDetailState lists the audit's checks (filter, search, page; one expanded into its
resources) and keeps the filters in the URL; EvidenceDrawerState is the drawer. Proof files
are posted as a plain multipart form to /api/evidence/{id}/file (never Reflex's public
/_upload); that route redirects back here with ?evidence=ID and a notice or an error, which
`load` turns into a toast and the reopened drawer.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any, TypedDict
from urllib.parse import urlencode

import reflex as rx

from compliance_app.components.figures import (
    PROVIDER_LABELS,
    SEVERITY_COLORS,
    day,
    duration,
    iso_utc,
    status_label,
    when,
)
from compliance_app.models.types import utcnow
from compliance_app.services import check_results, dashboard, risk
from compliance_app.services.errors import AuthenticationRequired, ServiceError
from compliance_app.services.evidence_files import human_size
from compliance_app.services.readiness import FRAMEWORKS
from compliance_app.services.scans import EvidenceRow, Page
from compliance_app.state.offloop import off_loop, run
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


class CheckRow(TypedDict):
    key: str
    title: str
    provider: str
    severity: str
    result: str
    result_label: str
    resources: str


class ResourceRow(TypedDict):
    id: str
    status: str
    status_label: str
    resource: str
    region: str
    message: str
    file: str


class EvidenceView(TypedDict):
    id: str
    key: str
    title: str
    status: str
    status_label: str
    original: str
    severity: str
    provider: str
    resource: str
    region: str
    message: str
    description: str
    rationale: str
    remediation: str
    frameworks: str
    raw_json: str
    has_file: bool
    file_is_image: bool
    file_url: str
    #: "Dated 2026-03-01 · valid until 2027-03-01 · uploaded by Ann" ("" without proof).
    proof_dates: str
    #: "current", "expiring" or "stale" ("" without proof): the badge beside the dates.
    proof_state: str
    #: The record names a file no longer on disk: say so instead of a broken image.
    proof_missing: bool
    can_accept: bool


NO_EVIDENCE = EvidenceView(
    id="", key="", title="", status="", status_label="", original="", severity="", provider="", resource="",
    region="", message="", description="", rationale="", remediation="", frameworks="", raw_json="",
    has_file=False, file_is_image=False, file_url="", proof_dates="", proof_state="", proof_missing=False,
    can_accept=False,
)


def check_row(c: check_results.CheckRow) -> CheckRow:
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


def resource_row(e: EvidenceRow) -> ResourceRow:
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


def evidence_view(d: dashboard.EvidenceDetail) -> EvidenceView:
    """What the drawer shows of one evidence row: the check's reasons, the fix, the raw proof."""
    e, proof = d.row, d.proof
    has_file = proof is not None and not proof.file_missing
    return {
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
        "file_is_image": has_file and proof is not None and proof.content_type.startswith("image/"),
        # The stored name changes on every upload, so the thumbnail never shows a stale file.
        "file_url": f"/api/evidence/{e.id}/file?v={(e.screenshot or '')[:8]}",
        "proof_dates": "" if proof is None else (
            f"Dated {proof.evidence_date.isoformat()} · valid until {proof.expires_on.isoformat()} · "
            f"{human_size(proof.size)}, uploaded {day(proof.uploaded_at)}"
            + (f" by {proof.uploaded_by}" if proof.uploaded_by else "")),
        "proof_state": proof.state if proof is not None else "",
        "proof_missing": proof is not None and proof.file_missing,
        "can_accept": e.status == "FAIL",
    }


class AuditDetailState(PagedListState, OrgState):
    """The audit's header and its checks (filtered, paged, one expanded); the evidence drawer is
    the sibling EvidenceDrawerState, so the list is not loaded with it on every drawer event."""

    rows: list[CheckRow] = []
    audit_key: str = ""
    audit_found: bool = True
    header: dict[str, str] = {}
    severity_filter: str = "all"
    provider_filter: str = "all"
    framework_filter: str = "all"
    search: str = ""
    #: The check whose resources are shown under its row ("" when none), and those resources.
    expanded: str = ""
    resources: list[ResourceRow] = []
    resources_note: str = ""
    #: "Regions scanned: …" lines from the audit's scope (empty when it records none).
    scope_lines: list[str] = []

    # --- loading ---------------------------------------------------------------------
    def _audit_from_url(self) -> str:
        parts = [p for p in (self.router.url.path or "").split("/") if p]
        return parts[3] if len(parts) >= 4 and parts[2] == "audits" else ""

    def _filter(self, value: str) -> str | None:
        return None if value == "all" else value

    def _load_header(self) -> None:
        self._apply_header(*dashboard.audit_header(self._actor(), self.audit_key))

    def _apply_header(self, a: dashboard.AuditRow, scope_lines: list[str]) -> None:
        self.scope_lines = scope_lines
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

    def _check_query(self) -> dict[str, Any]:
        """The filters and page of the checks list, as list_check_results and audit_page take them."""
        return {"result": self._filter(self.status_filter), "severity": self._filter(self.severity_filter),
                "provider": self._filter(self.provider_filter), "framework": self._filter(self.framework_filter),
                "search": self.search, "page": self.page, "page_size": PAGE_SIZE}

    def _load_rows(self):
        """One row per check (its result rolled up from its resources), filtered on that result."""
        try:
            result = check_results.list_check_results(self._actor(), self.audit_key, **self._check_query())
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        self._apply_rows(result)
        return None

    def _apply_rows(self, result: Page[check_results.CheckRow]) -> None:
        self.total, self.pages = result.total, result.pages
        self.rows = [check_row(c) for c in result.items]
        if self.expanded not in {r["key"] for r in self.rows}:
            self.expanded, self.resources, self.resources_note = "", [], ""

    def _load_resources(self) -> None:
        found = check_results.list_check_resources(self._actor(), self.audit_key, self.expanded,
                                                   page_size=RESOURCES_SHOWN)
        self.resources = [resource_row(e) for e in found.items]
        self.resources_note = (f"The first {RESOURCES_SHOWN} of {found.total:,} resources, failures first."
                               if found.total > RESOURCES_SHOWN else "")

    @rx.event
    @off_loop
    async def load(self):
        self.loaded = False
        drawer = await self.get_state(EvidenceDrawerState)
        drawer.drawer_open, drawer.upload_error = False, ""
        return await run(self._load, drawer)

    def _load(self, drawer: EvidenceDrawerState) -> Any:
        """The page's data (in a worker thread: see state/offloop.py)."""
        redirect = self._enter_org()
        if redirect is not None or not self.org_found:
            return redirect
        self.audit_key = self._audit_from_url()
        params = self.router.url.query_parameters
        self._filters_from(params)
        self.page = 1
        self.expanded, self.resources, self.resources_note = "", [], ""
        try:  # header and checks in one transaction (the filters from the URL are known values)
            header, scope_lines, checks = dashboard.audit_page(self._actor(), self.audit_key, **self._check_query())
        except ServiceError:
            self.audit_found = False
            self.loaded = True
            return None
        self.audit_found = True
        self._apply_header(header, scope_lines)
        self._apply_rows(checks)
        events: list[Any] = []
        if params.get("evidence", "").isdigit():
            try:
                drawer._open_detail(params["evidence"])
                # Show the evidence among its check's resources, as if the user had opened it there.
                self.expanded = drawer.ev["key"]
                self._load_resources()
            except ServiceError as exc:
                events.append(rx.toast.error(exc.message))
            if params.get("error"):
                drawer.upload_error = params["error"]
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
        # errors="replace": browser text UTF-8 cannot carry (a lone surrogate) matches nothing anyway.
        return urlencode({k: v for k, v in pairs.items() if v not in ("", "all")}, errors="replace")

    def _set_and_reload(self, name: str, value: str):
        setattr(self, name, value)
        self.page = 1
        query = self._filters_query()
        refused = self._load_rows()
        # Replace (not push) the URL: the filtered view can be shared and survives a reload.
        url = json.dumps(self.router.url.path + (f"?{query}" if query else ""))
        return [e for e in (refused, rx.call_script(f"window.history.replaceState(null, '', {url})")) if e]

    @rx.event
    @off_loop
    def set_status_filter(self, value: str):
        return self._set_and_reload("status_filter", value)

    @rx.event
    @off_loop
    def set_severity_filter(self, value: str):
        return self._set_and_reload("severity_filter", value)

    @rx.event
    @off_loop
    def set_provider_filter(self, value: str):
        return self._set_and_reload("provider_filter", value)

    @rx.event
    @off_loop
    def set_framework_filter(self, value: str):
        return self._set_and_reload("framework_filter", value)

    @rx.event
    @off_loop
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
    @off_loop
    def set_search(self, value: str):
        return self._set_and_reload("search", value)

    def _refresh_after_change(self) -> rx.event.EventSpec | None:
        """After the drawer changed a result (risk accepted): header, checks, expanded resources."""
        self._load_header()
        refused = self._load_rows()
        if self.expanded:
            self._load_resources()
        return refused


class EvidenceDrawerState(OrgState):
    """The evidence drawer: a sibling of AuditDetailState (reached with get_state), not a child,
    because a state is loaded with all its children on every event (with Redis): the raw proof
    it holds would otherwise travel with every filter change, and the list with every keystroke
    of the acceptance reason."""

    drawer_open: bool = False
    ev: EvidenceView = NO_EVIDENCE
    upload_error: str = ""
    #: Today's date (ISO), the upload form's default and latest evidence date.
    today: str = ""
    accept_reason: str = ""
    accept_until: str = ""
    accept_error: str = ""

    def _open_detail(self, evidence_id: str) -> None:
        """Load one evidence row into the drawer and open it (raises ServiceError if not allowed)."""
        self.ev = evidence_view(dashboard.get_evidence_detail(self._actor(), evidence_id))
        self.accept_reason = self.accept_error = ""
        self.accept_until = (utcnow() + timedelta(days=DEFAULT_ACCEPT_DAYS)).date().isoformat()
        self.today = utcnow().date().isoformat()
        self.drawer_open = True

    @rx.event
    @off_loop
    def open_evidence(self, evidence_id: str):
        self.upload_error = ""
        try:
            self._open_detail(evidence_id)
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
    @off_loop
    async def accept_risk(self):
        """Refusals show at the form (not as toasts that stack); success says until when."""
        self.accept_error = ""
        if not str(self.ev["id"]).isdigit():
            self.accept_error = "Open a failing resource to accept its risk."
            return None
        try:
            until = date.fromisoformat(self.accept_until) if self.accept_until else None
        except ValueError:
            self.accept_error = "Enter the expiry as a date."
            return None
        try:
            accepted = await run(lambda: risk.accept_risk_for_evidence(self._actor(), int(self.ev["id"]),
                                                                        self.accept_reason, until))
        except AuthenticationRequired:
            return self._login_redirect()
        except ServiceError as exc:
            self.accept_error = exc.message
            return None
        await run(self._open_detail, self.ev["id"])
        refused = await run((await self.get_state(AuditDetailState))._refresh_after_change)
        return [e for e in (refused, rx.toast.success(f"Risk accepted until {day(accepted.expires_at)}."))
                if e is not None]
