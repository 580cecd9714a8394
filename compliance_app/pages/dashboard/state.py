"""The dashboard's state, and the typed rows it shows, built by pure functions tests call.

Figures come from services/dashboard.py; the rows here are what the views read (a misspelt
key fails when the page compiles). "Run scan" queues an audit and a background task polls its
progress every second without reloading the page, then refreshes the figures; a page opened
while an audit is running picks the progress up the same way.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any, TypedDict

import reflex as rx

from compliance_app.components.figures import ago, number, plural, when
from compliance_app.models.types import utcnow
from compliance_app.services import dashboard, proof, scans
from compliance_app.services.authz import Actor
from compliance_app.services.errors import ServiceError
from compliance_app.state.offloop import off_loop, run
from compliance_app.state.org import OrgState

POLL_SECONDS = 1.0
#: Stop following a scan nobody picks up (no worker running) after this long.
POLL_GIVE_UP_SECONDS = 15 * 60
RANGE_LABELS = {"7": "7 days", "30": "30 days", "90": "90 days", "365": "1 year"}
ACTIVE = ("PENDING", "RUNNING")


class FailingRow(TypedDict):
    key: str
    title: str
    severity: str
    provider: str
    failing: str


class ReadinessRow(TypedDict):
    framework: str
    percent: int
    label: str
    detail: str


class ProofRow(TypedDict):
    key: str
    title: str
    resource: str
    state: str
    #: "Stale since 2026-03-01" or "Expires 2026-12-20 (in 18 days)".
    expiry: str
    evidence_date: str


def proof_rows(items: Iterable[proof.ProofDue], today: date) -> list[ProofRow]:
    """Stale and expiring proof as the dashboard lists it (the service already sorted it)."""
    rows = []
    for p in items:
        if p.state == proof.Freshness.STALE:
            expiry = f"Stale since {p.expires_on.isoformat()}"
        else:
            days = (p.expires_on - today).days
            expiry = f"Expires {p.expires_on.isoformat()} (in {plural(days, 'day')})"
        rows.append(ProofRow(key=p.question_key, title=p.title, resource=p.resource_id or "whole check",
                             state=p.state, expiry=expiry, evidence_date=p.evidence_date.isoformat()))
    return rows


#: One day of the trend chart ("pass" is a keyword, hence the functional form).
TrendPoint = TypedDict("TrendPoint", {"date": str, "score": int | None, "pass": int, "fail": int, "label": str})


def failing_rows(checks: Iterable[dashboard.FailingCheck]) -> list[FailingRow]:
    return [
        FailingRow(key=f.question_key, title=f.title, severity=f.severity, provider=f.provider,
                   failing=f.resources_text or plural(f.failing, "resource"))
        for f in checks
    ]


def readiness_rows(frameworks: Iterable[dashboard.FrameworkReadiness]) -> list[ReadinessRow]:
    return [
        ReadinessRow(
            framework=r.framework,
            percent=r.percent or 0,
            label="No data" if r.percent is None else f"{r.percent}%",
            detail=f"{r.passing} of {r.passing + r.failing} controls passing"
            + (f" · {r.errors} could not run" if r.errors else ""),
        )
        for r in frameworks
    ]


def _day_label(iso: str, days: int) -> str:
    y, m, d = iso.split("-")
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[int(m) - 1]
    return f"{int(d)} {month}" + (f" {y[2:]}" if days > 90 else "")


def trend_points(points: Iterable[dict[str, Any]], days: int) -> list[TrendPoint]:
    """The chart's days; a day whose only scan had nothing to check (no integration) says
    nothing, so it is left out rather than drawn as a drop."""
    return [
        {"date": p["date"], "score": p["score"], "pass": p["pass"], "fail": p["fail"],
         "label": _day_label(p["date"], days)}
        for p in points
        if p["score"] is not None or p["pass"] or p["fail"]
    ]


def trend_caption(points: list[TrendPoint], range_label: str) -> str:
    """'12 days scanned · low 61 · high 78 · average 70', or that the range had no scan."""
    scored = [p["score"] for p in points if p["score"] is not None]
    if not scored:
        return f"No scans in the last {range_label}."
    return (f"{plural(len(points), 'day')} scanned · low {min(scored)} · high {max(scored)} · "
            f"average {round(sum(scored) / len(scored))}")


class DashboardState(OrgState):
    loaded: bool = False
    has_integrations: bool = True
    audit_count: int = 0
    has_score: bool = False
    score: int = 0
    delta: int = 0
    delta_text: str = ""
    completed_ago: str = ""
    counts: dict[str, str] = {}
    #: Checks per rolled-up result (the unit of the score); `counts` stays resources.
    check_counts: dict[str, str] = {}
    #: "scored 18 of 24 checks (2 could not run)" and how the score is computed.
    scored_text: str = ""
    score_explanation: str = ""
    last_scan_ago: str = "never"
    last_scan_when: str = ""
    last_scan_status: str = ""
    last_scan_error: str = ""
    #: Why the newest audit has no score ("22 checks could not run: …"), else "".
    last_scan_problem: str = ""
    #: Why "Run scan" was refused (nothing to scan), shown with a link to Integrations.
    scan_refused: str = ""
    is_demo: bool = False
    latest_audit_id: str = ""
    top_failing: list[FailingRow] = []
    readiness: list[ReadinessRow] = []
    #: Uploaded proof that is stale or expires within 30 days.
    proof_due: list[ProofRow] = []
    range_days: str = "30"
    trend: list[TrendPoint] = []
    trend_caption: str = ""
    scanning: bool = False
    scan_status: str = ""
    scan_done: int = 0
    scan_total: int = 0
    scan_check: str = ""
    _scan_audit_id: str = ""

    # --- loading ---------------------------------------------------------------------
    def _apply_summary(self, s: dashboard.DashboardSummary) -> None:
        self.has_integrations = s.has_integrations
        self.audit_count = s.audit_count
        self.is_demo = s.is_demo
        self.has_score = s.score is not None
        self.score = s.score or 0
        self.delta = s.delta or 0
        if s.delta is None:
            first = s.score is not None and s.audit_count == 1 and not s.is_demo
            self.delta_text = "First completed audit" if first else ""
        elif s.delta == 0:
            self.delta_text = "No change since the previous audit"
        else:
            self.delta_text = f"{s.delta:+d} points since the previous audit ({s.previous_score})"
        self.completed_ago = ago(s.completed_at)
        self.counts = {k: number(v) for k, v in s.counts.items()}
        self.check_counts = {k: number(v) for k, v in s.check_counts.items()}
        self.scored_text = s.scored_text
        self.score_explanation = s.score_explanation
        self.last_scan_ago = ago(s.last_scan_at)
        self.last_scan_when = when(s.last_scan_at)
        self.last_scan_status = s.last_scan_status or ""
        self.last_scan_error = s.last_scan_error or ""
        self.last_scan_problem = s.last_scan_problem or ""
        self.latest_audit_id = s.latest_audit_id or ""
        self.top_failing = failing_rows(s.top_failing)
        self.readiness = readiness_rows(s.readiness)
        self.proof_due = proof_rows(s.proof_due, utcnow().date())
        if s.active is not None:
            self._apply_progress(s.active.audit_id, s.active.status, s.active.progress_done,
                                 s.active.progress_total, s.active.current_check)

    def _apply_progress(self, audit_id: str, status: str, done: int, total: int, check: str | None) -> None:
        self._scan_audit_id = audit_id
        self.scan_status = status
        self.scan_done, self.scan_total = done, total
        self.scan_check = check or ""

    def _apply_trend(self, points: list[dict[str, Any]]) -> None:
        self.trend = trend_points(points, int(self.range_days))
        self.trend_caption = trend_caption(self.trend, RANGE_LABELS[self.range_days])

    def _refresh(self) -> None:
        if self.range_days not in RANGE_LABELS:  # a browser can set any text
            self.range_days = "30"
        summary, points = dashboard.dashboard_page(self._actor(), self._org_uuid(), int(self.range_days))
        self._apply_summary(summary)
        self._apply_trend(points)

    @rx.event
    @off_loop
    def load(self):
        self.loaded = False
        self.scanning = False
        redirect = self._enter_org()
        if redirect is not None or not self.org_found:
            return redirect
        try:
            self._refresh()
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        self.loaded = True
        if self.scan_status in ACTIVE:
            return DashboardState.follow_scan
        return None

    @rx.event
    @off_loop
    def set_range(self, value: str | list[str]):
        value = value if isinstance(value, str) else (value[0] if value else "")  # a browser can send []
        if value not in RANGE_LABELS:
            return None
        self.range_days = value
        try:
            self._apply_trend(dashboard.score_trend(self._actor(), self._org_uuid(), int(value)))
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        return None

    # --- scans -----------------------------------------------------------------------
    @rx.event(background=True)
    async def run_scan(self):
        async with self:
            if self.scanning:
                return
            self.scanning = True
            self.scan_refused = ""
            actor, org_id = await run(self._actor), self._org_id
        try:
            audit = await run(scans.start_scan, actor, uuid.UUID(org_id))
        except ServiceError as exc:
            async with self:
                self.scanning = False
                if exc.field == "integrations":
                    self.scan_refused = exc.message
            if exc.field != "integrations":
                yield rx.toast.error(exc.message)
            return
        async with self:
            self._apply_progress(str(audit.id), str(audit.status), audit.progress_done, audit.progress_total,
                                 audit.current_check)
        yield rx.toast.info("Scan queued. Progress updates live below.")
        async for event in self._poll(actor):
            yield event

    @rx.event(background=True)
    async def follow_scan(self):
        """Resume following an audit that was already running when the page opened."""
        async with self:
            if self.scanning or not self._scan_audit_id:
                return
            self.scanning = True
            actor = await run(self._actor)
        async for event in self._poll(actor):
            yield event

    async def _poll(self, actor: Actor):
        """Poll progress each second until the audit ends, then refresh the figures."""
        async with self:
            audit_id, org_id, days = self._scan_audit_id, uuid.UUID(self._org_id), int(self.range_days)
        started = time.monotonic()
        progress: dict[str, Any] = {"status": "PENDING"}
        try:
            while progress["status"] in ACTIVE:
                if time.monotonic() - started > POLL_GIVE_UP_SECONDS:
                    yield rx.toast.warning("The scan is still waiting for a worker. Reload the page later.")
                    return
                await asyncio.sleep(POLL_SECONDS)
                progress = await run(scans.get_audit_progress, actor, audit_id)
                async with self:
                    self._apply_progress(audit_id, progress["status"], progress["progress_done"],
                                         progress["progress_total"], progress["current_check"])
            summary, points = await run(dashboard.dashboard_page, actor, org_id, days)
            async with self:
                self._apply_summary(summary)
                self._apply_trend(points)
        except ServiceError as exc:
            yield rx.toast.error(exc.message)
            return
        finally:
            async with self:
                self.scanning = False
        if progress["status"] == "COMPLETED":
            score = progress.get("score")
            yield rx.toast.success("Scan complete" + (f": score {score}." if score is not None else "."))
        else:
            yield rx.toast.error(f"The scan failed: {progress.get('error') or 'unknown error'}.")
