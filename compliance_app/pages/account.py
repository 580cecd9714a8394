"""/account: the signed-in user's password and open sessions.

Passwords never enter Reflex state: the form is uncontrolled and its values reach the
server only as the submit event's payload, which goes straight to the service; after a
successful change the form remounts empty. The session list never carries a token.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any, TypedDict
from urllib.parse import urlencode

import reflex as rx

from compliance_app.components.figures import iso_utc, local_time, when
from compliance_app.components.forms import callout_if, field_error, password_field
from compliance_app.components.layout import shell
from compliance_app.services import accounts
from compliance_app.services.errors import AuthenticationRequired, ServiceError
from compliance_app.state.offloop import off_loop
from compliance_app.state.session import SessionState

PASSWORD_FIELDS = ("old_password", "new_password", "new_password_confirm")


class SessionRow(TypedDict):
    created: str
    created_iso: str
    last_seen: str
    last_seen_iso: str
    device: str
    ip: str
    current: bool


class AccountState(SessionState):
    sessions: list[SessionRow] = []
    field_errors: dict[str, str] = {}
    form_error: str = ""
    notice: str = ""
    form_key: str = ""
    loaded: bool = False

    def _refresh(self) -> None:
        self.sessions = [
            SessionRow(created=when(r.created_at), created_iso=iso_utc(r.created_at),
                       last_seen=when(r.last_seen_at), last_seen_iso=iso_utc(r.last_seen_at),
                       device=r.user_agent or "unknown device", ip=r.ip_address or "—", current=r.current)
            for r in accounts.list_sessions(self._actor(), current_token=self._session_token())
        ]

    @rx.event
    @off_loop
    def load(self) -> rx.event.EventSpec | None:
        if not self._resolve_user():
            return self._login_redirect()
        self.field_errors = dict.fromkeys(PASSWORD_FIELDS, "")
        self.form_error = self.notice = ""
        self.form_key = uuid.uuid4().hex
        self._refresh()
        self.loaded = True
        return None

    @rx.event
    @off_loop
    def change_password(self, form: dict[str, Any]) -> rx.event.EventSpec | None:
        self.field_errors = dict.fromkeys(PASSWORD_FIELDS, "")
        self.form_error = self.notice = ""
        old = str(form.get("old_password") or "")
        new = str(form.get("new_password") or "")
        if new != str(form.get("new_password_confirm") or ""):
            self.field_errors["new_password_confirm"] = "The two new passwords do not match."
            return None
        try:
            revoked = accounts.change_password(self._actor(), old, new, current_token=self._session_token())
        except AuthenticationRequired:
            return self._login_redirect()
        except ServiceError as exc:
            if exc.field in self.field_errors:
                self.field_errors[exc.field] = exc.message
            else:
                self.form_error = exc.message
            return None
        others = f" {revoked} other session{'s were' if revoked != 1 else ' was'} signed out." if revoked else ""
        self.notice = "Password changed." + others
        self.form_key = uuid.uuid4().hex  # remount: the typed passwords leave the page
        self._refresh()
        return None

    @rx.event
    @off_loop
    def logout_everywhere(self) -> rx.event.EventSpec:
        """Revoke every session, this one included, and start again from the login page."""
        with contextlib.suppress(AuthenticationRequired):  # already signed out: nothing left to revoke
            accounts.logout_everywhere(self._actor())
        return rx.redirect("/login?" + urlencode({"notice": "You were signed out on every device."}))


def _password_input(label: str, name: str, auto_complete: str) -> rx.Component:
    """Not `required`: an empty field reaches the service, whose message shows under it."""
    return password_field(
        label, name, auto_complete,
        field_error(AccountState.field_errors[name], data_testid=f"error-{name}"),
        required=False, data_testid=f"field-{name}",
    )


def _password_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Change password", size="4"),
            rx.text("Every other session is signed out; this one stays.", size="2", color_scheme="gray"),
            rx.form(
                rx.vstack(
                    _password_input("Current password", "old_password", "current-password"),
                    _password_input("New password (at least 12 characters)", "new_password", "new-password"),
                    _password_input("Repeat the new password", "new_password_confirm", "new-password"),
                    callout_if(AccountState.form_error, color_scheme="red", size="1", width="100%"),
                    rx.button("Change password", type="submit", data_testid="change-password-submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=AccountState.change_password,
                key=AccountState.form_key,
                width="100%",
                data_testid="change-password-form",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="520px",
    )


def _session_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["device"], size="2"),
                      rx.cond(row["current"], rx.badge("this browser", color_scheme="green", margin_left="0.5em"))),
        rx.table.cell(row["ip"]),
        rx.table.cell(local_time(row["created_iso"], row["created"])),
        rx.table.cell(local_time(row["last_seen_iso"], row["last_seen"])),
        data_testid="session-row",
    )


def _sessions_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Active sessions", size="4"),
            rx.table.root(
                rx.table.header(rx.table.row(
                    rx.table.column_header_cell("Device"), rx.table.column_header_cell("IP address"),
                    rx.table.column_header_cell("Signed in"), rx.table.column_header_cell("Last seen"),
                )),
                rx.table.body(rx.foreach(AccountState.sessions, _session_row)),
                width="100%",
                size="1",
            ),
            rx.alert_dialog.root(
                rx.alert_dialog.trigger(
                    rx.button("Log out everywhere", color_scheme="red", variant="soft",
                              data_testid="logout-everywhere")
                ),
                rx.alert_dialog.content(
                    rx.alert_dialog.title("Log out everywhere?"),
                    rx.alert_dialog.description(
                        "Every session, including this one, is signed out. You will need to sign in again."
                    ),
                    rx.hstack(
                        rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                        rx.alert_dialog.action(
                            rx.button("Log out everywhere", color_scheme="red",
                                      on_click=AccountState.logout_everywhere,
                                      data_testid="logout-everywhere-confirm"),
                        ),
                        justify="end",
                        spacing="3",
                        margin_top="1em",
                    ),
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


@rx.page(route="/account", title="Account · compliance_app", on_load=AccountState.load)
def account() -> rx.Component:
    return shell(
        "Account",
        rx.cond(
            AccountState.loaded,
            rx.vstack(
                rx.text(AccountState.user_name, " · ", AccountState.user_email, color_scheme="gray"),
                callout_if(AccountState.notice, color_scheme="green", size="1", data_testid="account-notice"),
                _password_card(),
                _sessions_card(),
                spacing="4",
                width="100%",
            ),
            rx.skeleton(height="320px", width="100%"),
        ),
        user_label=SessionState.user_email,
    )
