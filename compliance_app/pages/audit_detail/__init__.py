"""/o/{slug}/audits/{audit_id}: one audit's checks — filter, search, page, expand — and the
evidence drawer (rationale, Markdown remediation, raw proof, proof file, risk acceptance).

This module only assembles the sections (views/); the states and typed rows are in state.py.
"""

from __future__ import annotations

import reflex as rx

from compliance_app.components.changes import since_last_scan
from compliance_app.components.layout import empty_state
from compliance_app.components.org_page import org_page
from compliance_app.components.table import pager, scroll_table
from compliance_app.pages.audit_detail.state import AuditDetailState, EvidenceDrawerState
from compliance_app.pages.audit_detail.views.checks import check
from compliance_app.pages.audit_detail.views.drawer import drawer
from compliance_app.pages.audit_detail.views.filters import filters
from compliance_app.pages.audit_detail.views.header import header

__all__ = ["AuditDetailState", "EvidenceDrawerState", "audit_detail_page"]

S = AuditDetailState


def _content() -> rx.Component:
    table = scroll_table(("Result", "Severity", "Check", "Resources", "Provider"), S.rows, check, size="1")
    paged = rx.vstack(table, pager(S, "checks", class_name="evidence-total"), width="100%", spacing="3")
    body = rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text("All audits"), align="center", spacing="1"),
                href="/o/" + S.org_slug + "/audits", size="2"),
        header(),
        since_last_scan(),
        filters(),
        rx.cond(S.rows.length() > 0, paged,
                empty_state("search-x", "No check matches", "Change the filters or the search.")),
        drawer(),
        spacing="4",
        width="100%",
    )
    return rx.cond(
        S.loaded,
        rx.cond(S.audit_found, body,
                empty_state("file-question", "Audit not found", "It does not exist, or it belongs to another "
                            "organization.", rx.link("All audits", href="/o/" + S.org_slug + "/audits"))),
        rx.vstack(rx.skeleton(height="90px", width="100%"),
                  *[rx.skeleton(height="36px", width="100%") for _ in range(8)], width="100%"),
    )


@org_page("/audits/[audit_id]", "Audit", on_load=AuditDetailState.load)
def audit_detail_page() -> rx.Component:
    return _content()
