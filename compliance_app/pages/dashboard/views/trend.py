"""The score trend over a chosen range."""

from __future__ import annotations

import reflex as rx

from compliance_app.pages.dashboard.state import RANGE_LABELS, DashboardState
from compliance_app.pages.dashboard.views.cards import card


def trend_card() -> rx.Component:
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
    return card(
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
