"""The audit's status, score, counts, timing, what it scanned, and its exports (CSV, JSON, OCSF)."""

from __future__ import annotations

import reflex as rx

from compliance_app.components.figures import local_time, status_badge
from compliance_app.pages.audit_detail.state import AuditDetailState

S = AuditDetailState
#: (label, format) of the downloads served by /api/audits/{id}/export (api/audit_exports.py).
EXPORTS = (("CSV", "csv"), ("JSON", "json"), ("OCSF", "ocsf"))


def exports() -> rx.Component:
    """Download links, external like the share page's (a router link would navigate inside the app):
    the browser fetches the file with the session cookie; nothing goes through state."""
    links = [rx.link(rx.hstack(rx.icon("download", size=12), rx.text(label), spacing="1", align="center"),
                     href="/api/audits/" + S.audit_key + "/export?format=" + fmt, is_external=True,
                     download=True, size="1", class_name=f"audit-export-{fmt}")
             for label, fmt in EXPORTS]
    return rx.hstack(rx.text("Export", size="1", color_scheme="gray"), *links, spacing="3", align="center",
                     wrap="wrap", class_name="audit-exports")


def header() -> rx.Component:
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
                rx.cond(h["status"] == "COMPLETED", exports()),
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
