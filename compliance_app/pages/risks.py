"""/o/{slug}/risks: risk acceptance exceptions; admins add and revoke them.

The rules (reason required, expiry at most a year ahead, no duplicate in force) live in
services/risk.py; this page only shows its messages beside the field they concern.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TypedDict

import reflex as rx

from compliance_app.components.figures import day, iso_utc, local_time
from compliance_app.components.forms import callout_if, field_error
from compliance_app.components.layout import empty_state
from compliance_app.components.org_page import org_page
from compliance_app.models.types import utcnow
from compliance_app.services import questions, risk
from compliance_app.services.errors import AuthenticationRequired, ServiceError
from compliance_app.state.offloop import off_loop
from compliance_app.state.org import OrgState

DEFAULT_DAYS = 90


class RiskRow(TypedDict):
    id: str
    question_key: str
    question_title: str
    resource: str
    reason: str
    approver: str
    created: str
    expires: str
    expires_iso: str
    status: str


class QuestionOption(TypedDict):
    key: str
    label: str
    severity: str


def _row(r: risk.RiskAcceptanceRow) -> RiskRow:
    return {
        "id": str(r.id),
        "question_key": r.question_key,
        "question_title": r.question_title,
        "resource": r.resource_id or "all resources",
        "reason": r.reason,
        "approver": r.approved_by or "—",
        "created": day(r.created_at),
        "expires": day(r.expires_at),
        "expires_iso": iso_utc(r.expires_at),
        "status": r.status,
    }


class RisksState(OrgState):
    rows: list[RiskRow] = []
    question_options: list[QuestionOption] = []
    form_open: bool = False
    form_question: str = ""
    form_resource: str = ""
    form_reason: str = ""
    form_expires: str = ""
    min_expiry: str = ""
    max_expiry: str = ""
    question_error: str = ""
    reason_error: str = ""
    expires_error: str = ""
    form_error: str = ""
    error: str = ""
    notice: str = ""

    def _refresh(self) -> None:
        self.rows = [_row(r) for r in risk.list_risk_acceptances(self._actor(), self._org_uuid())]
        if self.can_admin and not self.question_options:
            self.question_options = [
                {"key": q.key, "label": f"{q.title} ({q.key})", "severity": str(q.severity)}
                for q in questions.list_questions()
            ]

    def _reset_form(self) -> None:
        self.form_question = self.form_resource = self.form_reason = ""
        today = utcnow().date()
        self.form_expires = (today + timedelta(days=DEFAULT_DAYS)).isoformat()
        self.min_expiry = (today + timedelta(days=1)).isoformat()
        self.max_expiry = (today + timedelta(days=365)).isoformat()
        self._clear_errors()

    def _clear_errors(self) -> None:
        self.question_error = self.reason_error = self.expires_error = self.form_error = ""

    @rx.event
    @off_loop
    def load(self) -> rx.event.EventSpec | None:
        self.error = self.notice = ""
        self.form_open = False
        if (redirect := self._enter_org()) is not None or not self.org_found:
            return redirect
        self._reset_form()
        self._refresh()
        return None

    @rx.event
    def open_form(self) -> None:
        self._reset_form()
        self.form_open = True

    @rx.event
    def close_form(self) -> None:
        self.form_open = False
        self._clear_errors()

    @rx.event
    def set_form_question(self, value: str) -> None:
        self.form_question, self.question_error = value, ""

    @rx.event
    def set_form_resource(self, value: str) -> None:
        self.form_resource = value[:500]

    @rx.event
    def set_form_reason(self, value: str) -> None:
        self.form_reason, self.reason_error = value, ""

    @rx.event
    def set_form_expires(self, value: str) -> None:
        self.form_expires, self.expires_error = value, ""

    def _show(self, exc: ServiceError) -> None:
        """Put a service refusal under the field it names, or above the form."""
        target = {"question": "question_error", "reason": "reason_error", "expires_at": "expires_error"}
        setattr(self, target.get(exc.field or "", "form_error"), exc.message)

    @rx.event
    @off_loop
    def submit(self) -> rx.event.EventSpec | None:
        self._clear_errors()
        if not self.form_question:
            self.question_error = "Choose the check whose failures you accept."
            return None
        expires: date | None = None
        if self.form_expires:
            try:
                expires = date.fromisoformat(self.form_expires)
            except ValueError:
                self.expires_error = "Enter the expiry as a date (YYYY-MM-DD)."
                return None
        try:
            risk.accept_risk(
                self._actor(), self._org_uuid(), self.form_question, self.form_reason, expires,
                resource_id=self.form_resource,
            )
        except AuthenticationRequired:
            return self._login_redirect()
        except ServiceError as exc:
            self._show(exc)
            return None
        self.notice = "Risk accepted. New scans mark matching failures as accepted until it expires."
        self.form_open = False
        self._reset_form()
        self._refresh()
        return None

    @rx.event
    @off_loop
    def revoke(self, exception_id: str) -> rx.event.EventSpec | None:
        return self._run(
            risk.revoke_risk, exception_id, notice="Exception revoked: new scans count those failures again."
        )

    def _run(self, action: Callable[..., object], *args: str, notice: str) -> rx.event.EventSpec | None:
        self.error = self.notice = ""
        try:
            action(self._actor(), *args)
            self.notice = notice
        except AuthenticationRequired:
            return self._login_redirect()
        except ServiceError as exc:
            self.error = exc.message
        self._refresh()
        return None


def status_badge(status: rx.Var) -> rx.Component:
    color = rx.match(status, ("active", "green"), ("revoked", "red"), "gray")
    return rx.badge(status, color_scheme=color, variant="soft", data_testid="risk-status")


def _revoke_button(row: rx.Var) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button("Revoke", size="1", color_scheme="red", variant="soft", data_testid="risk-revoke"),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Revoke this exception?"),
            rx.alert_dialog.description(
                "New scans will count failures of ", rx.code(row["question_key"]), " on ", row["resource"],
                " again. Finished audits keep what was accepted when they ran.",
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Revoke", color_scheme="red", on_click=RisksState.revoke(row["id"]),
                        data_testid="risk-revoke-confirm",
                    )
                ),
                spacing="3",
                justify="end",
                padding_top="1em",
            ),
        ),
    )


def _risk_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row["question_title"], weight="medium", size="2"),
                rx.code(row["question_key"], size="1", variant="ghost"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(row["resource"], size="2", word_break="break-all")),
        rx.table.cell(rx.text(row["reason"], size="2", max_width="320px")),
        rx.table.cell(rx.text(row["approver"], size="2")),
        rx.table.cell(rx.text(local_time(row["expires_iso"], row["expires"], date_only=True), size="2",
                              white_space="nowrap")),
        rx.table.cell(status_badge(row["status"])),
        rx.table.cell(rx.cond(RisksState.can_admin & (row["status"] == "active"), _revoke_button(row))),
        data_testid="risk-row",
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(h)
                    for h in ("Check", "Resource", "Reason", "Approved by", "Expires", "Status", "")
                ]
            )
        ),
        rx.table.body(rx.foreach(RisksState.rows, _risk_row)),
        width="100%",
        data_testid="risks-table",
    )


def _question_select() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder="Choose a check…", width="100%", data_testid="risk-question"),
        rx.select.content(
            rx.foreach(
                RisksState.question_options,
                lambda q: rx.select.item(q["label"], value=q["key"]),
            )
        ),
        value=RisksState.form_question,
        on_change=RisksState.set_form_question,
    )


def _labeled(label: str, control: rx.Component, error: rx.Var | None = None, hint: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        control,
        rx.text(hint, size="1", color_scheme="gray") if hint else rx.fragment(),
        field_error(error) if error is not None else rx.fragment(),
        spacing="1",
        width="100%",
    )


def _form() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Accept a risk", size="4"),
            callout_if(RisksState.form_error, color_scheme="red", icon="triangle-alert", width="100%",
                       data_testid="risk-form-error"),
            _labeled("Check", _question_select(), RisksState.question_error),
            _labeled(
                "Resource (optional)",
                rx.input(
                    placeholder="e.g. arn:aws:s3:::logs-bucket or acme/api",
                    value=RisksState.form_resource,
                    on_change=RisksState.set_form_resource,
                    width="100%",
                    data_testid="risk-resource",
                ),
                hint="Leave empty to accept the check for all resources.",
            ),
            _labeled(
                "Reason",
                rx.text_area(
                    placeholder="Why is this failure acceptable, and what compensates for it?",
                    value=RisksState.form_reason,
                    on_change=RisksState.set_form_reason,
                    width="100%",
                    data_testid="risk-reason",
                ),
                RisksState.reason_error,
            ),
            _labeled(
                "Expires on",
                rx.input(
                    type="date",
                    value=RisksState.form_expires,
                    on_change=RisksState.set_form_expires,
                    min=RisksState.min_expiry,
                    max=RisksState.max_expiry,
                    width="200px",
                    data_testid="risk-expires",
                ),
                RisksState.expires_error,
                hint="At most one year from today.",
            ),
            rx.hstack(
                rx.button("Accept risk", on_click=RisksState.submit, data_testid="risk-submit"),
                rx.button("Cancel", variant="soft", color_scheme="gray", on_click=RisksState.close_form),
                spacing="3",
            ),
            spacing="3",
            width="100%",
            max_width="640px",
        ),
        width="100%",
        data_testid="risk-form",
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.text(
            "An exception turns matching failures into accepted risks in new scans until it expires "
            "or is revoked.",
            color_scheme="gray",
        ),
        callout_if(RisksState.notice, icon="info", width="100%"),
        callout_if(RisksState.error, icon="triangle-alert", color_scheme="red", width="100%",
                   data_testid="risks-error"),
        rx.cond(
            RisksState.can_admin,
            rx.cond(
                RisksState.form_open,
                _form(),
                rx.button(rx.icon("plus", size=16), "Accept a risk", on_click=RisksState.open_form,
                          data_testid="risk-add"),
            ),
        ),
        rx.cond(
            RisksState.rows.length() > 0,
            _table(),
            empty_state(
                "shield-alert",
                "No risk acceptances",
                rx.cond(
                    RisksState.can_admin,
                    "When a failing check is acceptable for a while, accept it here with a reason and an expiry.",
                    "Administrators can accept a failing check for a while, with a reason and an expiry.",
                ),
            ),
        ),
        spacing="4",
        width="100%",
    )


@org_page("/risks", "Risk acceptances", on_load=RisksState.load)
def risks_page() -> rx.Component:
    return _content()
