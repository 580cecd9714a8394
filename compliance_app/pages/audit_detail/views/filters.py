"""Result, severity, provider and framework filters and the search (kept in the URL)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from compliance_app.components.figures import PROVIDER_LABELS, SEVERITY_COLORS, status_label
from compliance_app.pages.audit_detail.state import CHECK_RESULTS, AuditDetailState
from compliance_app.services.readiness import FRAMEWORKS

S = AuditDetailState

def _select(value: rx.Var, on_change: Any, items: list[tuple[str, str]], placeholder: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder),
        rx.select.content(*[rx.select.item(label, value=v) for v, label in items]),
        value=value,
        on_change=on_change,
        size="2",
    )


def filters() -> rx.Component:
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
