"""What the page says before there are figures: banners, first steps, no score yet."""

from __future__ import annotations

import reflex as rx

from compliance_app.components.layout import empty_state
from compliance_app.pages.dashboard.state import DashboardState


def no_integrations_banner() -> rx.Component:
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


def demo_banner() -> rx.Component:
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


def empty() -> rx.Component:
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
