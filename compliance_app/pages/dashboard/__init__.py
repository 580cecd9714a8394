"""/o/{slug}: the managers' dashboard — score, trend, readiness, failing checks, live scans.

This module only assembles the sections (views/); the state and its typed rows are in
state.py.
"""

from __future__ import annotations

import reflex as rx

from compliance_app.components.changes import since_last_scan
from compliance_app.components.org_page import org_page
from compliance_app.pages.dashboard.state import DashboardState
from compliance_app.pages.dashboard.views.failing import failing_card
from compliance_app.pages.dashboard.views.onboarding import demo_banner, empty, no_integrations_banner
from compliance_app.pages.dashboard.views.proof import proof_card
from compliance_app.pages.dashboard.views.scan import scan_bar
from compliance_app.pages.dashboard.views.score import counts_card, readiness_card, score_card
from compliance_app.pages.dashboard.views.trend import trend_card

__all__ = ["DashboardState", "dashboard_page"]


def _figures() -> rx.Component:
    return rx.vstack(
        rx.grid(score_card(), counts_card(), readiness_card(),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"), spacing="4", width="100%"),
        since_last_scan(),
        trend_card(),
        failing_card(),
        proof_card(),
        spacing="4",
        width="100%",
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
            scan_bar(),
            rx.cond(S.is_demo, demo_banner(),
                    rx.cond(~S.has_integrations & (S.audit_count > 0), no_integrations_banner())),
            rx.cond(S.has_score | (S.trend.length() > 0), _figures(), empty()),
            spacing="4",
            width="100%",
        ),
        _skeleton(),
    )


@org_page("", "Dashboard", on_load=DashboardState.load)
def dashboard_page() -> rx.Component:
    return _content()
