"""/o/{slug}/notifications: who hears about what, and the delivery log.

Every member chooses for themselves whether they get the emails. Admins choose the extra
recipients, the Slack-compatible webhook (shown only by its host once saved), the rules
and the digest's time zone, send a test notification (each channel's delivery error shown
here), and read the log of every delivery attempt. Saving and testing reach the network
(DNS of the webhook host, the mail server), so they run as background events with the
service call in a thread.
"""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from compliance_app.components.figures import when
from compliance_app.components.forms import callout_if, field_error
from compliance_app.components.org_page import org_page
from compliance_app.components.table import scroll_table
from compliance_app.services import notification_settings as ns
from compliance_app.services.errors import AuthenticationRequired, ServiceError
from compliance_app.state.offloop import off_loop, run, run_network
from compliance_app.state.org import OrgState

STATUS_COLORS = {"SENT": "green", "RETRYING": "amber", "FAILED": "red", "PENDING": "blue", "SENDING": "blue"}
RULE_NAMES = {"new_failures": "New failures", "scan_problems": "Scan problems", "risk_expiring": "Risk expiring",
              "proof_expiring": "Proof expiring", "weekly_digest": "Weekly digest", "test": "Test"}


class RuleRow(TypedDict):
    key: str
    label: str
    on: bool


class LogEntry(TypedDict):
    when: str
    rule: str
    channel: str
    recipient: str
    status: str
    color: str
    attempt: str
    error: str


class TestRow(TypedDict):
    channel: str
    recipient: str
    ok: bool
    error: str


def log_entries(rows: list[ns.LogRow]) -> list[LogEntry]:
    return [LogEntry(when=when(r.created_at), rule=RULE_NAMES.get(r.rule, r.rule), channel=r.channel,
                     recipient=r.recipient, status=r.status, color=STATUS_COLORS.get(r.status, "gray"),
                     attempt=str(r.attempt), error=r.error) for r in rows]


class NotificationsState(OrgState):
    loaded: bool = False
    subscribed: bool = False
    email_configured: bool = True
    extra_recipients: str = ""
    webhook_host: str = ""
    webhook_url: str = ""
    timezone: str = "UTC"
    rules: list[RuleRow] = []
    subscribers: list[str] = []
    recipients_error: str = ""
    webhook_error: str = ""
    timezone_error: str = ""
    error: str = ""
    notice: str = ""
    saving: bool = False
    testing: bool = False
    test_results: list[TestRow] = []
    log: list[LogEntry] = []

    def _apply(self, view: ns.NotificationSettingsView) -> None:
        self.extra_recipients = ", ".join(view.extra_recipients)
        self.webhook_host = view.webhook_host
        self.webhook_url = ""
        self.timezone = view.timezone
        self.rules = [RuleRow(key=k, label=label, on=bool(view.rules.get(k, True)))
                      for k, label in view.rule_labels.items()]
        self.subscribers = view.subscribers
        self.email_configured = view.email_configured

    @rx.event
    @off_loop
    def load(self) -> rx.event.EventSpec | None:
        self.loaded = False
        self.error = self.notice = self.recipients_error = self.webhook_error = self.timezone_error = ""
        self.test_results = []
        redirect = self._enter_org()
        if redirect is not None or not self.org_found:
            return redirect
        actor = self._actor()
        self.subscribed = ns.is_subscribed(actor, self._org_uuid())
        if self.can_admin:
            self._apply(ns.get_notification_settings(actor, self._org_uuid()))
            self.log = log_entries(ns.list_notification_log(actor, self._org_uuid()).items)
        self.loaded = True
        return None

    @rx.event
    @off_loop
    def set_subscribed(self, value: bool) -> rx.event.EventSpec | None:
        try:
            self.subscribed = ns.set_my_subscription(self._actor(), self._org_uuid(), value)
        except AuthenticationRequired:
            return self._login_redirect()
        except ServiceError as exc:
            self.error = exc.message
        return None

    @rx.event
    def set_extra_recipients(self, value: str) -> None:
        self.extra_recipients, self.recipients_error = value, ""

    @rx.event
    def set_webhook_url(self, value: str) -> None:
        self.webhook_url, self.webhook_error = value, ""

    @rx.event
    def set_timezone(self, value: str) -> None:
        self.timezone, self.timezone_error = value, ""

    @rx.event
    def set_rule(self, key: str, on: bool) -> None:
        self.rules = [RuleRow(key=r["key"], label=r["label"], on=on if r["key"] == key else r["on"])
                      for r in self.rules]

    async def _save(self, remove_webhook: bool) -> None:
        async with self:
            if self.saving:
                return
            self.saving = True
            self.error = self.notice = self.recipients_error = self.webhook_error = self.timezone_error = ""
            actor, org_id = await run(self._actor), self._org_uuid()
            kwargs = {"extra_recipients": self.extra_recipients, "webhook_url": self.webhook_url or None,
                      "remove_webhook": remove_webhook, "rules": {r["key"]: r["on"] for r in self.rules},
                      "timezone": self.timezone}
        try:
            view = await run(ns.update_notification_settings, actor, org_id, **kwargs)
        except ServiceError as exc:
            async with self:
                self.saving = False
                self.recipients_error, self.webhook_error, self.timezone_error, self.error = exc.message_slots(
                    "extra_recipients", "webhook_url", "timezone")
            return
        async with self:
            self.saving = False
            self._apply(view)
            self.notice = "Saved."

    @rx.event(background=True)
    async def save(self):
        await self._save(remove_webhook=False)

    @rx.event(background=True)
    async def remove_webhook(self):
        await self._save(remove_webhook=True)

    @rx.event(background=True)
    async def send_test(self):
        async with self:
            if self.testing:
                return
            self.testing = True
            self.error = self.notice = ""
            self.test_results = []
            actor, org_id = await run(self._actor), self._org_uuid()
        try:
            results = await run_network(ns.send_test_notification, actor, org_id)
            log = await run(ns.list_notification_log, actor, org_id)
        except ServiceError as exc:
            async with self:
                self.testing = False
                self.error = exc.message
            return
        async with self:
            self.testing = False
            self.test_results = [TestRow(channel=r.channel, recipient=r.recipient, ok=r.ok, error=r.error)
                                 for r in results]
            self.log = log_entries(log.items)

    @rx.event(background=True)
    async def refresh_log(self):
        async with self:
            actor, org_id = await run(self._actor), self._org_uuid()
        try:
            page = await run(ns.list_notification_log, actor, org_id)
        except ServiceError as exc:
            async with self:
                self.error = exc.message
            return
        async with self:
            self.log = log_entries(page.items)


S = NotificationsState


def _opt_in() -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.switch(checked=S.subscribed, on_change=S.set_subscribed, class_name="notify-me"),
            rx.vstack(
                rx.text("Email me this organization's notifications", weight="medium"),
                rx.text("Your choice only; admins choose the rules and any extra recipients.", size="1",
                        color_scheme="gray"),
                spacing="0",
            ),
            spacing="3",
            align="center",
        ),
        width="100%",
        max_width="720px",
    )


def _rule(row: RuleRow) -> rx.Component:
    return rx.hstack(
        rx.checkbox(checked=row["on"], on_change=lambda on: S.set_rule(row["key"], on)),
        rx.text(row["label"], size="2"),
        spacing="2",
        align="center",
    )


def _settings() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Recipients and rules", size="4"),
            rx.cond(~S.email_configured,
                    rx.callout("Email is not configured on this server (SMTP_HOST, SMTP_FROM): only the webhook "
                               "receives messages.", color_scheme="amber", size="1", width="100%")),
            rx.text("Members who opted in: ", rx.cond(S.subscribers.length() > 0, S.subscribers.join(", "), "none"),
                    size="2", class_name="subscribers"),
            rx.text("Extra recipients (comma-separated)", size="2", weight="medium"),
            rx.text_area(value=S.extra_recipients, on_change=S.set_extra_recipients, width="100%",
                         placeholder="auditor@example.com", class_name="extra-recipients"),
            field_error(S.recipients_error, class_name="recipients-error"),
            rx.text("Slack-compatible webhook URL", size="2", weight="medium"),
            rx.cond(S.webhook_host != "",
                    rx.hstack(rx.text("A webhook to ", rx.code(S.webhook_host), " is set (its address is stored "
                                      "encrypted and not shown again).", size="2"),
                              rx.button("Remove", size="1", variant="soft", color_scheme="red",
                                        on_click=S.remove_webhook), align="center", wrap="wrap")),
            rx.input(value=S.webhook_url, on_change=S.set_webhook_url, width="100%", type="password",
                     placeholder=rx.cond(S.webhook_host != "", "Paste a new URL to replace it",
                                         "https://hooks.slack.com/services/…"), class_name="webhook-url"),
            field_error(S.webhook_error, class_name="webhook-error"),
            rx.text("Send a message when", size="2", weight="medium"),
            rx.foreach(S.rules, _rule),
            rx.text("Time zone of the weekly digest", size="2", weight="medium"),
            rx.input(value=S.timezone, on_change=S.set_timezone, placeholder="Europe/Berlin", max_width="260px",
                     class_name="timezone"),
            field_error(S.timezone_error),
            rx.hstack(
                rx.button("Save", on_click=S.save, loading=S.saving, class_name="notifications-save"),
                rx.button(rx.icon("send", size=14), "Send a test notification", variant="soft",
                          on_click=S.send_test, loading=S.testing, class_name="send-test"),
                rx.cond(S.notice != "", rx.text(S.notice, color_scheme="green", size="2")),
                spacing="3",
                align="center",
            ),
            rx.foreach(S.test_results, lambda r: rx.text(
                r["channel"], " ", r["recipient"], ": ", rx.cond(r["ok"], "delivered", r["error"]), size="2",
                color_scheme=rx.cond(r["ok"], "green", "red"), class_name="test-result")),
            spacing="2",
            width="100%",
        ),
        width="100%",
        max_width="720px",
    )


def _log_row(row: LogEntry) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["when"], white_space="nowrap"),
        rx.table.cell(row["rule"]),
        rx.table.cell(row["channel"]),
        rx.table.cell(row["recipient"]),
        rx.table.cell(rx.badge(row["status"], color_scheme=row["color"], variant="soft")),
        rx.table.cell(row["attempt"]),
        rx.table.cell(row["error"]),
        class_name="log-row",
    )


def _log() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.heading("Delivery log", size="4"), rx.spacer(),
                  rx.button(rx.icon("refresh-cw", size=14), "Refresh", size="1", variant="soft",
                            on_click=S.refresh_log, class_name="refresh-log"), width="100%", align="center"),
        rx.cond(S.log.length() > 0,
                scroll_table(("Time", "Rule", "Channel", "Recipient", "Status", "Attempt", "Error"), S.log,
                             _log_row, size="1"),
                rx.text("Nothing sent yet.", size="2", color_scheme="gray")),
        width="100%",
        spacing="2",
    )


@org_page("/notifications", "Notifications", on_load=NotificationsState.load)
def notifications_page() -> rx.Component:
    return rx.cond(
        S.loaded,
        rx.vstack(
            callout_if(S.error, color_scheme="red", width="100%", max_width="720px"),
            _opt_in(),
            rx.cond(S.can_admin, rx.fragment(_settings(), _log())),
            spacing="4",
            width="100%",
        ),
        rx.skeleton(height="200px", width="100%"),
    )
