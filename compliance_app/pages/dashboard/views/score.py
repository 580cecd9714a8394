"""Score, check counts and framework readiness: the top row of figures."""

from __future__ import annotations

import reflex as rx

from compliance_app.components.figures import SCORE_FAIR, SCORE_GOOD, score_color, score_ring
from compliance_app.pages.dashboard.state import DashboardState
from compliance_app.pages.dashboard.views.cards import card


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


def score_card() -> rx.Component:
    S = DashboardState
    delta_color = rx.cond(S.delta > 0, "green", rx.cond(S.delta < 0, "red", "gray"))
    return card(
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


def counts_card() -> rx.Component:
    return card(
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
        rx.progress(value=row["percent"], max=100, size="2", width="100%",
                    color_scheme=rx.cond(row["percent"] >= SCORE_GOOD, "green",
                                         rx.cond(row["percent"] >= SCORE_FAIR, "amber", "red"))),
        rx.text(row["detail"], size="1", color_scheme="gray"),
        spacing="1",
        width="100%",
    )


def readiness_card() -> rx.Component:
    return card("Framework readiness", rx.foreach(DashboardState.readiness, _readiness_row))
