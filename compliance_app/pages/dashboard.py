"""/o/{slug}: the managers' dashboard — score, trend, readiness, failing checks, live scans.

Figures come from services/dashboard.py as display-ready strings and small dicts (the
state stays light). "Run scan" queues an audit and a background task polls its progress
every second without reloading the page, then refreshes the figures; a page opened while
an audit is running picks the progress up the same way.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import reflex as rx

from compliance_app.components.changes import since_last_scan
from compliance_app.components.figures import (
    SCORE_FAIR,
    SCORE_GOOD,
    ago,
    number,
    plural,
    score_color,
    score_ring,
    severity_badge,
    when,
)
from compliance_app.components.layout import empty_state
from compliance_app.components.org_page import org_page
from compliance_app.services import dashboard, scans
from compliance_app.services.authz import Actor
from compliance_app.services.errors import ServiceError
from compliance_app.state.org import OrgState

POLL_SECONDS = 1.0
#: Stop following a scan nobody picks up (no worker running) after this long.
POLL_GIVE_UP_SECONDS = 15 * 60
RANGE_LABELS = {"7": "7 days", "30": "30 days", "90": "90 days", "365": "1 year"}
ACTIVE = ("PENDING", "RUNNING")


def _day_label(iso: str, days: int) -> str:
    y, m, d = iso.split("-")
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[int(m) - 1]
    return f"{int(d)} {month}" + (f" {y[2:]}" if days > 90 else "")


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
    top_failing: list[dict[str, str]] = []
    readiness: list[dict[str, Any]] = []
    range_days: str = "30"
    trend: list[dict[str, Any]] = []
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
        self.top_failing = [
            {"key": f.question_key, "title": f.title, "severity": f.severity, "provider": f.provider,
             "failing": f.resources_text or plural(f.failing, "resource")}
            for f in s.top_failing
        ]
        self.readiness = [
            {
                "framework": r.framework,
                "percent": r.percent or 0,
                "label": "No data" if r.percent is None else f"{r.percent}%",
                "detail": f"{r.passing} of {r.passing + r.failing} mapped checks passing"
                + (f" · {r.errors} could not run" if r.errors else ""),
            }
            for r in s.readiness
        ]
        if s.active is not None:
            self._apply_progress(s.active.audit_id, s.active.status, s.active.progress_done,
                                 s.active.progress_total, s.active.current_check)

    def _apply_progress(self, audit_id: str, status: str, done: int, total: int, check: str | None) -> None:
        self._scan_audit_id = audit_id
        self.scan_status = status
        self.scan_done, self.scan_total = done, total
        self.scan_check = check or ""

    def _apply_trend(self, points: list[dict[str, Any]]) -> None:
        days = int(self.range_days)
        # A day whose only scan had nothing to check (no integration) says nothing: leave it out.
        points = [p for p in points if p["score"] is not None or p["pass"] or p["fail"]]
        self.trend = [{**p, "label": _day_label(p["date"], days)} for p in points]
        scored = [p["score"] for p in points if p["score"] is not None]
        if not scored:
            self.trend_caption = f"No scans in the last {RANGE_LABELS[self.range_days]}."
        else:
            self.trend_caption = (
                f"{len(points)} day{'s' if len(points) != 1 else ''} scanned · low {min(scored)} · "
                f"high {max(scored)} · average {round(sum(scored) / len(scored))}"
            )

    def _refresh(self) -> None:
        actor, org_id = self._actor(), self._org_uuid()
        self._apply_summary(dashboard.dashboard_summary(actor, org_id))
        self._apply_trend(dashboard.score_trend(actor, org_id, int(self.range_days)))

    @rx.event
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
    def set_range(self, value: str | list[str]):
        value = value if isinstance(value, str) else value[0]
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
            actor, org_id = self._actor(), self._org_id
        try:
            audit = await asyncio.to_thread(scans.start_scan, actor, uuid.UUID(org_id))
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
            actor = self._actor()
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
                progress = await asyncio.to_thread(scans.get_audit_progress, actor, audit_id)
                async with self:
                    self._apply_progress(audit_id, progress["status"], progress["progress_done"],
                                         progress["progress_total"], progress["current_check"])
            summary = await asyncio.to_thread(dashboard.dashboard_summary, actor, org_id)
            points = await asyncio.to_thread(dashboard.score_trend, actor, org_id, days)
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


# --- components -------------------------------------------------------------------------
def _card(title: str, *children: rx.Component, **props: Any) -> rx.Component:
    return rx.card(
        rx.vstack(rx.text(title, size="2", weight="medium", color_scheme="gray"), *children, spacing="3",
                  width="100%", height="100%"),
        width="100%",
        **props,
    )


def _gauge() -> rx.Component:
    S = DashboardState
    color = score_color(S.score)
    return score_ring(
        rx.vstack(
            rx.text(rx.cond(S.has_score, S.score.to_string(), "—"), size="9", weight="bold",
                    class_name="dashboard-score", line_height="1"),
            rx.text("of 100", size="1", color_scheme="gray"),
            align="center",
            spacing="1",
        ),
        rx.cond(
            S.has_score,
            f"conic-gradient({color} calc({S.score} * 1%), {rx.color('gray', 4)} 0)",
            rx.color("gray", 4),
        ),
        disc="116px",
        ring="12px",
        flex_shrink="0",
    )


def _score_card() -> rx.Component:
    S = DashboardState
    delta_color = rx.cond(S.delta > 0, "green", rx.cond(S.delta < 0, "red", "gray"))
    return _card(
        "Compliance score",
        rx.hstack(
            _gauge(),
            rx.vstack(
                rx.cond(
                    S.delta_text != "",
                    rx.badge(
                        rx.cond(S.delta > 0, rx.icon("trending-up", size=14),
                                rx.cond(S.delta < 0, rx.icon("trending-down", size=14), rx.icon("minus", size=14))),
                        S.delta_text,
                        color_scheme=delta_color,
                        variant="soft",
                        size="2",
                        white_space="normal",
                        class_name="score-delta",
                    ),
                ),
                rx.cond(S.scored_text != "",
                        rx.hstack(
                            rx.text(S.scored_text, size="2", weight="medium", class_name="scored-text"),
                            rx.tooltip(rx.icon("info", size=14, color=rx.color("gray", 10),
                                               aria_label="How the score is computed"),
                                       content=S.score_explanation),
                            align="center", spacing="1",
                        )),
                rx.text("Audit completed ", S.completed_ago, size="2", color_scheme="gray"),
                rx.cond(
                    S.latest_audit_id != "",
                    rx.link("Open this audit →", href="/o/" + S.org_slug + "/audits/" + S.latest_audit_id, size="2"),
                ),
                spacing="2",
                align="start",
            ),
            spacing="5",
            align="center",
            wrap="wrap",
        ),
        rx.text(S.score_explanation, size="1", color_scheme="gray", class_name="score-explanation"),
    )


def _count_tile(label: str, key: str, color: str, icon: str) -> rx.Component:
    return rx.box(
        rx.hstack(rx.icon(icon, size=16, color=rx.color(color, 10)),
                  rx.text(label, size="2", color_scheme="gray"), spacing="2", align="center"),
        rx.text(DashboardState.check_counts.get(key, "0"), size="7", weight="bold",
                class_name=f"count-{key.lower()}"),
        rx.text(DashboardState.counts.get(key, "0"), " resources", size="1", color_scheme="gray"),
        padding="0.75em",
        border_radius="8px",
        background=rx.color(color, 2),
        border=f"1px solid {rx.color(color, 5)}",
        width="100%",
    )


def _counts_card() -> rx.Component:
    return _card(
        "Checks in the latest audit",
        rx.grid(
            _count_tile("Passing", "PASS", "green", "circle-check"),
            _count_tile("Failing", "FAIL", "red", "circle-x"),
            _count_tile("Risk accepted", "RISK_ACCEPTED", "amber", "shield-alert"),
            _count_tile("Could not run", "ERROR", "gray", "circle-help"),
            columns="2",
            spacing="3",
            width="100%",
        ),
    )


def _readiness_row(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.text(row["framework"], weight="medium", size="2"), rx.spacer(),
                  rx.text(row["label"], weight="bold", size="2"), width="100%"),
        rx.progress(value=row["percent"].to(int), max=100, size="2", width="100%",
                    color_scheme=rx.cond(row["percent"].to(int) >= SCORE_GOOD, "green",
                                         rx.cond(row["percent"].to(int) >= SCORE_FAIR, "amber", "red"))),
        rx.text(row["detail"], size="1", color_scheme="gray"),
        spacing="1",
        width="100%",
    )


def _readiness_card() -> rx.Component:
    return _card("Framework readiness", rx.foreach(DashboardState.readiness, _readiness_row))


def _problem_callout(text: rx.Var, action: str, color: str, class_name: str) -> rx.Component:
    """Why there is no score (or no scan), with the way out: the Integrations page."""
    return rx.callout(
        rx.hstack(
            rx.text(text),
            rx.link(rx.button(action, size="1", color_scheme=color),
                    href="/o/" + DashboardState.org_slug + "/integrations"),
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        icon="plug-zap",
        color_scheme=color,
        width="100%",
        class_name=class_name,
    )


def _scan_bar() -> rx.Component:
    """Last scan + Run scan; while a scan runs, a live progress panel."""
    S = DashboardState
    percent = rx.cond(S.scan_total > 0, (S.scan_done * 100 / S.scan_total).to(int), 0)
    progress = rx.card(
        rx.vstack(
            rx.hstack(
                rx.spinner(size="2"),
                rx.text(
                    rx.cond(S.scan_status == "PENDING", "Scan queued — waiting for a worker…", "Scanning…"),
                    weight="medium",
                ),
                rx.spacer(),
                rx.text(S.scan_done, " / ", S.scan_total, " checks", size="2", class_name="scan-progress-count"),
                width="100%",
                align="center",
            ),
            rx.progress(value=percent, max=100, width="100%"),
            rx.cond(S.scan_check != "", rx.text("Now checking: ", rx.code(S.scan_check), size="1",
                                                 color_scheme="gray")),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="scan-progress",
    )
    return rx.vstack(
        rx.hstack(
            rx.hstack(
                rx.icon("clock", size=16, color=rx.color("gray", 10)),
                rx.text("Last scan: ", rx.el.span(S.last_scan_ago, title=S.last_scan_when), size="2"),
                rx.cond(
                    S.last_scan_problem != "",
                    rx.badge("NOTHING SCORED", color_scheme="red", variant="soft", class_name="last-scan-status"),
                    rx.cond(S.last_scan_status != "",
                            rx.badge(S.last_scan_status, color_scheme=rx.match(
                                S.last_scan_status, ("COMPLETED", "green"), ("FAILED", "red"), "blue"),
                                variant="soft", class_name="last-scan-status")),
                ),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.spacer(),
            rx.link(rx.button(rx.icon("list-checks", size=16), "All audits", variant="soft"),
                    href="/o/" + S.org_slug + "/audits"),
            rx.cond(
                S.can_member & ~S.is_demo,
                rx.button(rx.icon("play", size=16), "Run scan", on_click=DashboardState.run_scan,
                          loading=S.scanning, disabled=S.scanning, class_name="run-scan"),
            ),
            width="100%",
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(S.last_scan_status == "FAILED",
                rx.callout("The last scan failed: " + S.last_scan_error, icon="triangle-alert", color_scheme="red",
                           width="100%")),
        rx.cond(S.last_scan_problem != "", _problem_callout(S.last_scan_problem, "Fix the integration", "red",
                                                            "scan-problem")),
        rx.cond(S.scan_refused != "", _problem_callout(S.scan_refused, "Connect an integration", "amber",
                                                       "scan-refused")),
        rx.cond(S.scanning, progress),
        spacing="3",
        width="100%",
    )


def _trend_card() -> rx.Component:
    S = DashboardState
    chart = rx.recharts.composed_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", stroke=rx.color("gray", 5)),
        rx.recharts.area(data_key="score", name="Score", y_axis_id="score", type_="monotone",
                         stroke=rx.color("accent", 9), fill=rx.color("accent", 5), stroke_width=2,
                         connect_nulls=True, dot=False, is_animation_active=False),
        rx.recharts.line(data_key="pass", name="Passing", y_axis_id="count", type_="monotone",
                         stroke=rx.color("green", 9), dot=False, stroke_width=1.5, is_animation_active=False),
        rx.recharts.line(data_key="fail", name="Failing", y_axis_id="count", type_="monotone",
                         stroke=rx.color("red", 9), dot=False, stroke_width=1.5, is_animation_active=False),
        rx.recharts.x_axis(data_key="label", min_tick_gap=24, tick_line=False, font_size=12),
        rx.recharts.y_axis(y_axis_id="score", domain=[0, 100], width=36, font_size=12,
                           tick_line=False),
        rx.recharts.y_axis(y_axis_id="count", orientation="right", width=36, font_size=12, tick_line=False),
        rx.recharts.graphing_tooltip(),
        rx.recharts.legend(),
        data=S.trend,
        width="100%",
        height=300,
    )
    return _card(
        "Score trend",
        rx.hstack(
            rx.text(S.trend_caption, size="2", color_scheme="gray", class_name="trend-caption"),
            rx.spacer(),
            rx.segmented_control.root(
                *[rx.segmented_control.item(label, value=value) for value, label in RANGE_LABELS.items()],
                value=S.range_days,
                on_change=DashboardState.set_range,
                size="1",
                class_name="trend-range",
            ),
            width="100%",
            align="center",
            wrap="wrap",
            spacing="2",
        ),
        rx.cond(
            S.trend.length() > 0,
            rx.box(chart, width="100%", class_name="trend-chart"),
            rx.center(rx.text("No history in this range yet.", color_scheme="gray"), height="120px", width="100%"),
        ),
    )


def _failing_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(severity_badge(row["severity"])),
        rx.table.cell(rx.vstack(rx.text(row["title"], size="2", weight="medium"),
                                rx.text(row["key"], size="1", color_scheme="gray", font_family="monospace"),
                                spacing="0")),
        rx.table.cell(rx.badge(row["provider"], variant="surface")),
        rx.table.cell(rx.text(row["failing"], size="2", white_space="nowrap")),
    )


def _failing_card() -> rx.Component:
    S = DashboardState
    return _card(
        "Top failing checks",
        rx.cond(
            S.top_failing.length() > 0,
            rx.vstack(
                rx.box(
                    rx.table.root(
                        rx.table.header(rx.table.row(
                            rx.table.column_header_cell("Severity"), rx.table.column_header_cell("Check"),
                            rx.table.column_header_cell("Provider"), rx.table.column_header_cell("Failing"),
                        )),
                        rx.table.body(rx.foreach(S.top_failing, _failing_row)),
                        width="100%",
                        size="1",
                    ),
                    width="100%",
                    overflow_x="auto",
                ),
                rx.link("See every failing check →",
                        href="/o/" + S.org_slug + "/audits/" + S.latest_audit_id + "?status=FAIL", size="2"),
                width="100%",
            ),
            rx.hstack(rx.icon("party-popper", size=18, color=rx.color("green", 9)),
                      rx.text("No failing checks in the latest audit.", color_scheme="gray"), align="center"),
        ),
    )


def _no_integrations_banner() -> rx.Component:
    return rx.callout(
        rx.hstack(
            rx.text("No integration is connected yet, so scans have nothing to check. "
                    "Connect GitHub or AWS to see real figures."),
            rx.link(rx.button("Connect an integration", size="1"),
                    href="/o/" + DashboardState.org_slug + "/integrations"),
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        icon="plug",
        color_scheme="amber",
        width="100%",
    )


def _demo_banner() -> rx.Component:
    return rx.callout(
        rx.hstack(
            rx.text("Demo data — sample figures for a made-up company; this organization is never scanned. "
                    "Connect your own GitHub or AWS in a new organization."),
            rx.link(rx.button("Create an organization", size="1"), href="/orgs"),
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        icon="sparkles",
        color_scheme="blue",
        width="100%",
        class_name="demo-banner",
    )


def _figures() -> rx.Component:
    return rx.vstack(
        rx.grid(_score_card(), _counts_card(), _readiness_card(),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"), spacing="4", width="100%"),
        _trend_card(),
        _failing_card(),
        spacing="4",
        width="100%",
    )


def _step(number: str, done: rx.Var, title: str, text: str, action: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.cond(done, rx.icon("circle-check", size=28, color=rx.color("green", 9)),
                rx.center(rx.text(number, weight="bold"), width="28px", height="28px", border_radius="50%",
                          border=f"2px solid {rx.color('accent', 8)}", flex_shrink="0")),
        rx.vstack(rx.text(title, weight="bold"), rx.text(text, size="2", color_scheme="gray"), action,
                  spacing="1", align="start"),
        spacing="3",
        align="start",
        width="100%",
        class_name=rx.cond(done, "onboarding-step step-done", "onboarding-step"),
    )


def _onboarding() -> rx.Component:
    """A new organization's first steps: connect → first scan → score (this page then shows it)."""
    S = DashboardState
    return rx.card(
        rx.vstack(
            rx.heading("Get your first compliance score", size="5"),
            rx.text("compliance_app checks your GitHub organization and AWS accounts against SOC 2, CIS and "
                    "ISO 27001 controls, three steps from here.", color_scheme="gray", size="2"),
            _step("1", S.has_integrations, "Connect GitHub or AWS",
                  "A read-only token or role; secrets are encrypted and never shown again.",
                  rx.cond(S.has_integrations, rx.fragment(),
                          rx.link(rx.button(rx.icon("plug", size=16), "Connect an integration", size="2"),
                                  href="/o/" + S.org_slug + "/integrations"))),
            _step("2", S.audit_count > 0, "Run the first scan",
                  "Every check runs against what you connected; progress shows here as it goes.",
                  rx.cond(S.has_integrations & S.can_member & (S.audit_count == 0),
                          rx.button(rx.icon("play", size=16), "Run the first scan", size="2",
                                    on_click=DashboardState.run_scan, loading=S.scanning),
                          rx.fragment())),
            _step("3", S.has_score, "See your score",
                  "The score, framework readiness and the checks to fix appear on this page.", rx.fragment()),
            spacing="4",
            width="100%",
        ),
        width="100%",
        max_width="640px",
        class_name="onboarding",
    )


def _empty() -> rx.Component:
    S = DashboardState
    return rx.cond(
        S.last_scan_problem != "",
        empty_state(
            "plug-zap", "No score yet",
            "The last scan could not check anything (see above). Fix the integration, then run the scan "
            "again to get your compliance score.",
        ),
        _onboarding(),
    )


def _skeleton() -> rx.Component:
    return rx.vstack(
        rx.skeleton(height="36px", width="100%"),
        rx.grid(*[rx.skeleton(height="190px", width="100%") for _ in range(3)],
                columns=rx.breakpoints(initial="1", sm="2", lg="3"), spacing="4", width="100%"),
        rx.skeleton(height="340px", width="100%"),
        spacing="4",
        width="100%",
        class_name="dashboard-loading",
    )


def _content() -> rx.Component:
    S = DashboardState
    return rx.cond(
        S.loaded,
        rx.vstack(
            _scan_bar(),
            rx.cond(S.is_demo, _demo_banner(),
                    rx.cond(~S.has_integrations & (S.audit_count > 0), _no_integrations_banner())),
            since_last_scan(),
            rx.cond(S.has_score | (S.trend.length() > 0), _figures(), _empty()),
            spacing="4",
            width="100%",
        ),
        _skeleton(),
    )


@org_page("", "Dashboard", on_load=DashboardState.load)
def dashboard_page() -> rx.Component:
    return _content()
