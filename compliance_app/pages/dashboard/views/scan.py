"""The last scan, Run scan, its live progress, and why a scan scored nothing."""

from __future__ import annotations

import reflex as rx

from compliance_app.pages.dashboard.state import DashboardState


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


def scan_bar() -> rx.Component:
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
