"""The single sign-on card of /o/{slug}/settings (admins): require SSO, email-domain rules.

Its own state (a sibling of the settings page's), loaded by the page's on_load after the
organization; services decide who may change what, the flags only hide controls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict

import reflex as rx

from compliance_app.services import sso_domains
from compliance_app.services.errors import AuthenticationRequired, ServiceError
from compliance_app.state.offloop import off_loop
from compliance_app.state.org import OrgState

ROLES = ["viewer", "member", "admin"]


class DomainRuleView(TypedDict):
    id: str
    domain: str
    role: str


class OrgSsoState(OrgState):
    sso_configured: bool = False
    sso_provider: str = ""
    require_sso: bool = False
    domain_rules: list[DomainRuleView] = []
    new_domain: str = ""
    new_role: str = "member"
    domain_error: str = ""
    sso_error: str = ""
    sso_notice: str = ""

    def _show(self) -> None:
        settings = sso_domains.get_sso_settings(self._actor(), self._org_uuid())
        self.sso_configured, self.sso_provider = settings.configured, settings.provider
        self.require_sso = settings.require_sso
        self.domain_rules = [DomainRuleView(id=str(r.id), domain=r.domain, role=r.role) for r in settings.rules]

    @rx.event
    @off_loop
    def load(self) -> rx.event.EventSpec | None:
        self.domain_error = self.sso_error = self.sso_notice = ""
        redirect = self._enter_org()
        if redirect is not None or not self.org_found or not self.can_admin:
            return redirect
        self._show()
        return None

    @rx.event
    def set_new_domain(self, value: str) -> None:
        self.new_domain, self.domain_error = value[:300], ""

    @rx.event
    def set_new_role(self, value: str) -> None:
        self.new_role = value if value in ROLES else "member"

    @rx.event
    @off_loop
    def add_rule(self) -> rx.event.EventSpec | None:
        rule = (self.new_domain, self.new_role)
        return self._change(sso_domains.add_domain_rule, *rule, notice="Domain rule added.", clear=True)

    @rx.event
    @off_loop
    def remove_rule(self, rule_id: str) -> rx.event.EventSpec | None:
        return self._change(sso_domains.remove_domain_rule, rule_id, notice="Domain rule removed.")

    @rx.event
    @off_loop
    def set_require(self, required: bool) -> rx.event.EventSpec | None:
        notice = "Members must now sign in with single sign-on." if required else "Password sign-in allowed again."
        return self._change(sso_domains.set_require_sso, bool(required), notice=notice)

    def _change(
        self, action: Callable[..., object], *args: object, notice: str, clear: bool = False
    ) -> rx.event.EventSpec | None:
        """Call `action(actor, organization, *args)`; its refusal is shown, the card re-read either way."""
        self.domain_error = self.sso_error = self.sso_notice = ""
        try:
            action(self._actor(), self._org_uuid(), *args)
        except AuthenticationRequired:
            return self._login_redirect()
        except ServiceError as exc:
            self.domain_error, self.sso_error = exc.message_slots("domain")
            self._show()
            return None
        if clear:
            self.new_domain = ""
        self.sso_notice = notice
        self._show()
        return None


def _rule_row(rule: DomainRuleView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(rule["domain"])),
        rx.table.cell(rule["role"]),
        rx.table.cell(
            rx.button(
                "Remove", size="1", variant="soft", color_scheme="red", on_click=OrgSsoState.remove_rule(rule["id"])
            )
        ),
    )


def _rules() -> rx.Component:
    return rx.vstack(
        rx.heading("Email-domain rules", size="3"),
        rx.text("People who sign in with single sign-on and a verified email at one of these domains join this "
                "organization with the role shown, on their first single sign-on.", size="2", color_scheme="gray"),
        rx.cond(
            OrgSsoState.domain_rules.length() > 0,  # type: ignore[attr-defined]
            rx.table.root(
                rx.table.header(rx.table.row(rx.table.column_header_cell("Domain"),
                                             rx.table.column_header_cell("Role"), rx.table.column_header_cell(""))),
                rx.table.body(rx.foreach(OrgSsoState.domain_rules, _rule_row)),
                size="1", width="100%",
            ),
            rx.text("No domain rules.", size="2", color_scheme="gray"),
        ),
        rx.hstack(
            rx.input(placeholder="acme.com", value=OrgSsoState.new_domain, on_change=OrgSsoState.set_new_domain,
                     data_testid="sso-domain"),
            rx.select(ROLES, value=OrgSsoState.new_role, on_change=OrgSsoState.set_new_role, size="2"),
            rx.button("Add rule", on_click=OrgSsoState.add_rule, data_testid="sso-add-rule"),
            spacing="2", align="center",
        ),
        rx.cond(OrgSsoState.domain_error != "", rx.text(OrgSsoState.domain_error, color_scheme="red", size="2")),
        spacing="2", width="100%",
    )  # fmt: skip


def sso_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Single sign-on", size="4"),
            rx.cond(
                OrgSsoState.sso_configured,
                rx.hstack(
                    rx.switch(checked=OrgSsoState.require_sso, on_change=OrgSsoState.set_require,
                              data_testid="sso-require"),
                    rx.text("Members must sign in with ", OrgSsoState.sso_provider,
                            " (password sign-in refused; API tokens keep working)", size="2"),
                    spacing="2", align="center",
                ),
                rx.text("Single sign-on is not configured on this server (OIDC_ISSUER, see the README).", size="2",
                        color_scheme="gray"),
            ),
            rx.cond(OrgSsoState.sso_error != "", rx.text(OrgSsoState.sso_error, color_scheme="red", size="2")),
            rx.cond(OrgSsoState.sso_notice != "", rx.text(OrgSsoState.sso_notice, color_scheme="green", size="2")),
            _rules(),
            spacing="3", width="100%",
        ),
        width="100%", max_width="560px",
    )  # fmt: skip
