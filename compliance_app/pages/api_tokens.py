"""/o/{slug}/api-tokens: admins create, list and revoke the organization's API tokens (docs/api.md).

A new token is handed to the page once, into a read-only field (rx.set_value), and never kept in
state (which Redis may store). Creating, listing and revoking run as background events with the
service in a thread, so the event loop never waits on the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import TypedDict

import reflex as rx

from compliance_app.components.forms import callout_if
from compliance_app.components.org_page import org_shell
from compliance_app.components.table import scroll_table
from compliance_app.models.types import utcnow
from compliance_app.services import api_tokens
from compliance_app.services.api_tokens import TokenInfo
from compliance_app.services.errors import ServiceError
from compliance_app.state.offloop import off_loop, run
from compliance_app.state.org import OrgState

#: The read-only field that receives a new token (see ApiTokensState.token_shown).
NEW_TOKEN_ID = "new-api-token"
SCOPE_CHOICES = [
    ("read", "read — reads audits, evidence, checks, trend and snapshots"),
    ("scan", "scan — also starts scans (the CI gate)"),
    ("admin", "admin — everything an admin may do"),
]
EXPIRY_CHOICES = ["30d", "90d", "180d", "365d"]


class TokenRow(TypedDict):
    id: str
    name: str
    scope: str
    prefix: str
    status: str
    created: str
    expires: str
    last_used: str


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else ""


def token_rows(infos: Sequence[TokenInfo], now: datetime | None = None) -> list[TokenRow]:
    """What the table shows per token: never the token, only its first characters."""
    now = now or utcnow()
    return [
        TokenRow(
            id=str(i.id), name=i.name, scope=i.scope, prefix=f"{i.prefix}…", status=i.status(now),
            created=_when(i.created_at) + (f" by {i.created_by}" if i.created_by else ""),
            expires=_when(i.expires_at) or "never",
            last_used=f"{_when(i.last_used_at)} from {i.last_used_ip}" if i.last_used_at else "never",
        )
        for i in infos
    ]


class ApiTokensState(OrgState):
    tokens: list[TokenRow] = []
    form_name: str = ""
    form_scope: str = "read"
    form_expiry: str = api_tokens.DEFAULT_EXPIRY
    name_error: str = ""
    error: str = ""
    notice: str = ""
    busy: bool = False
    token_shown: bool = False

    @rx.event
    @off_loop
    def load(self) -> rx.event.EventSpec | None:
        self.error = self.notice = self.name_error = ""
        self.token_shown = False
        self.tokens = []
        redirect = self._enter_org()
        if redirect is not None or not self.org_found:
            return redirect
        return ApiTokensState.refresh if self.can_admin else None

    @rx.event
    def set_form_name(self, value: str) -> None:
        self.form_name, self.name_error = value, ""

    @rx.event
    def set_form_scope(self, value: str) -> None:
        self.form_scope = value

    @rx.event
    def set_form_expiry(self, value: str) -> None:
        self.form_expiry = value

    @rx.event
    def hide_token(self) -> None:
        self.token_shown = False

    @rx.event(background=True)
    async def refresh(self) -> None:
        async with self:
            actor, slug = await run(self._actor), self.org_slug
        try:
            infos = await run(api_tokens.list_tokens, actor, slug)
        except ServiceError as exc:
            async with self:
                self.error = exc.message
            return
        async with self:
            self.tokens = token_rows(infos)

    @rx.event(background=True)
    async def create(self) -> AsyncIterator[rx.event.EventSpec | None]:
        async with self:
            if self.busy:
                return
            self.busy, self.error, self.notice, self.name_error = True, "", "", ""
            self.token_shown = False
            actor, slug = await run(self._actor), self.org_slug
            args = (self.form_name, self.form_scope, self.form_expiry)
        try:
            info, token = await run(api_tokens.create_token, actor, slug, *args)
            infos = await run(api_tokens.list_tokens, actor, slug)
        except ServiceError as exc:
            async with self:
                self.busy = False
                self.name_error, self.error = exc.message_slots("name")
            return
        async with self:
            self.busy, self.token_shown, self.form_name = False, True, ""
            self.tokens = token_rows(infos)
            self.notice = f"Token “{info.name}” created."
        yield  # the field is on the page before its value arrives
        yield rx.set_value(NEW_TOKEN_ID, token)

    @rx.event(background=True)
    async def revoke(self, token_id: str) -> None:
        async with self:
            self.error = self.notice = ""
            actor, slug = await run(self._actor), self.org_slug
        try:
            info = await run(api_tokens.revoke_token, actor, str(token_id))
            infos = await run(api_tokens.list_tokens, actor, slug)
        except ServiceError as exc:
            async with self:
                self.error = exc.message
            return
        async with self:
            self.tokens = token_rows(infos)
            self.notice = f"Token “{info.name}” revoked: it no longer works."


S = ApiTokensState


def _new_token() -> rx.Component:
    return rx.cond(
        S.token_shown,
        rx.callout.root(
            rx.vstack(
                rx.text("Copy this token now: it is shown only once, and only its hash is kept.", size="2",
                        weight="medium"),
                rx.input(id=NEW_TOKEN_ID, read_only=True, width="100%", data_testid="new-api-token"),
                rx.hstack(
                    rx.button(rx.icon("copy"), "Copy", on_click=rx.set_clipboard(
                        rx.Var(f"document.getElementById({NEW_TOKEN_ID!r})?.value ?? ''"))),
                    rx.button("Done", variant="soft", on_click=S.hide_token),
                ),
                spacing="2",
                width="100%",
            ),
            color_scheme="amber",
            width="100%",
        ),
    )


def _create_form() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("New token", size="4"),
            rx.text("A token acts as a member of this organization with its scope's rights. Use it as "
                    "Authorization: Bearer <token> on /api/v1 (docs/api.md).", size="2", color_scheme="gray"),
            rx.text("Name", size="2", weight="medium"),
            rx.input(value=S.form_name, on_change=S.set_form_name, placeholder="GitHub Actions", max_length=100,
                     data_testid="token-name", width="100%"),
            rx.cond(S.name_error != "", rx.text(S.name_error, color_scheme="red", size="1")),
            rx.text("Scope", size="2", weight="medium"),
            rx.select.root(
                rx.select.trigger(),
                rx.select.content(*[rx.select.item(label, value=value) for value, label in SCOPE_CHOICES]),
                value=S.form_scope, on_change=S.set_form_scope,
            ),
            rx.text("Expires in", size="2", weight="medium"),
            rx.select(EXPIRY_CHOICES, value=S.form_expiry, on_change=S.set_form_expiry),
            rx.button("Create token", on_click=S.create, loading=S.busy, data_testid="token-create"),
            spacing="2",
            width="100%",
        ),
        width="100%",
        max_width="560px",
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["name"]),
        rx.table.cell(rx.badge(row["scope"])),
        rx.table.cell(rx.code(row["prefix"])),
        rx.table.cell(rx.badge(row["status"], color_scheme=rx.cond(row["status"] == "active", "green", "gray"))),
        rx.table.cell(row["expires"]),
        rx.table.cell(row["last_used"]),
        rx.table.cell(row["created"]),
        rx.table.cell(rx.cond(
            row["status"] == "active",
            rx.button("Revoke", size="1", color_scheme="red", variant="soft", on_click=S.revoke(row["id"])),
        )),
    )


def _tokens() -> rx.Component:
    return rx.cond(
        S.tokens.length() > 0,
        scroll_table(("Name", "Scope", "Token", "Status", "Expires", "Last used", "Created", ""), S.tokens, _row),
        rx.text("No API tokens yet.", size="2", color_scheme="gray"),
    )


@rx.page(route="/o/[slug]/api-tokens", title="API tokens · compliance_app", on_load=ApiTokensState.load)
def api_tokens_page() -> rx.Component:
    return org_shell(
        "API tokens",
        rx.cond(
            S.can_admin,
            rx.vstack(
                callout_if(S.error, color_scheme="red", width="100%"),
                rx.cond(S.notice != "", rx.text(S.notice, color_scheme="green", size="2")),
                _new_token(),
                _create_form(),
                _tokens(),
                spacing="4",
                width="100%",
            ),
            rx.text("Only the organization's admins manage API tokens.", size="2", color_scheme="gray"),
        ),
    )
