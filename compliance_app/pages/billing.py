"""/o/{slug}/billing: plan, subscription status, limits and usage, scan schedule (admins).

Stripe calls (checkout, portal) run in background events so a slow Stripe never blocks
other users' events; the page then leaves for Stripe's hosted pages with a full redirect.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import reflex as rx
import stripe

from compliance_app.components.forms import callout_if
from compliance_app.components.org_page import org_page
from compliance_app.services import billing
from compliance_app.services.authz import Actor
from compliance_app.services.errors import NotFound, PermissionDenied, ServiceError
from compliance_app.state.offloop import off_loop, run
from compliance_app.state.org import OrgState

log = logging.getLogger(__name__)

NOT_CONFIGURED = "Billing is not configured on this installation — every organization has all features."
STRIPE_DOWN = "Stripe could not be reached; please try again in a minute."


def _limit(value: int | None) -> str:
    return "Unlimited" if value is None else str(value)


class BillingState(OrgState):
    loaded: bool = False
    allowed: bool = False
    billing_enabled: bool = False
    plan_name: str = ""
    subscription_status: str = ""
    has_billing_account: bool = False
    can_upgrade: bool = False
    scan_frequency: str = ""
    effective_scan_frequency: str = ""
    frequencies: list[str] = []
    hourly_allowed: bool = True
    limits: list[dict[str, str]] = []
    notice: str = ""
    error: str = ""
    working: bool = False

    def _refresh(self) -> None:
        try:
            overview = billing.get_billing_overview(self._actor(), self._org_uuid())
        except PermissionDenied:
            self.allowed = False
            self.loaded = True
            return
        plan = overview.plan
        self.loaded = True
        self.allowed = True
        self.billing_enabled = overview.billing_enabled
        self.plan_name = plan.name
        self.subscription_status = overview.subscription_status
        self.has_billing_account = overview.has_billing_account
        self.can_upgrade = overview.can_upgrade
        self.scan_frequency = overview.scan_frequency
        self.effective_scan_frequency = overview.effective_scan_frequency
        self.frequencies = plan.scan_frequencies
        self.hourly_allowed = plan.hourly_scans
        self.limits = [
            {
                "label": "GitHub integrations",
                "usage": str(overview.github_integrations),
                "limit": _limit(plan.github_integrations),
            },
            {
                "label": "AWS integrations",
                "usage": str(overview.aws_integrations),
                "limit": _limit(plan.aws_integrations),
            },
            {
                "label": "Active public links",
                "usage": str(overview.active_public_links),
                "limit": _limit(plan.active_public_links),
            },
            {
                "label": "Most frequent scheduled scans",
                "usage": overview.effective_scan_frequency,
                "limit": plan.scan_frequencies[0],
            },
        ]

    @rx.event
    @off_loop
    def load(self) -> rx.event.EventSpec | None:
        self.error = ""
        self.notice = ""
        if (redirect := self._enter_org()) is not None or not self.org_found:
            return redirect
        checkout = self.router.url.query_parameters.get("checkout")
        if checkout == "success":
            self.notice = "Thank you! The new plan appears here as soon as Stripe confirms the payment."
        elif checkout == "canceled":
            self.notice = "Checkout was canceled; nothing was charged."
        self._refresh()
        return None

    @rx.event
    @off_loop
    def set_frequency(self, value: str) -> None:
        self.error = ""
        try:
            billing.set_scan_frequency(self._actor(), self._org_uuid(), value)
            self.notice = f"Scheduled scans now run {value}."
        except ServiceError as exc:
            self.error = exc.message
        self._refresh()

    @rx.event(background=True)
    async def upgrade(self):
        async with self:
            if self.working:
                return
            self.working, self.error = True, ""
            actor, org_id = await run(self._actor), self._org_id
        url = await self._stripe_call(billing.start_checkout, actor, org_id)
        async with self:
            self.working = False
        if url:
            yield rx.redirect(url)

    @rx.event(background=True)
    async def manage(self):
        async with self:
            if self.working:
                return
            self.working, self.error = True, ""
            actor, org_id = await run(self._actor), self._org_id
        url = await self._stripe_call(billing.open_portal, actor, org_id)
        async with self:
            self.working = False
        if url:
            yield rx.redirect(url)

    async def _stripe_call(self, fn: Callable[[Actor, uuid.UUID], str], actor: Actor, org_id: str) -> str | None:
        """Run a Stripe-backed service off the event loop; turn failures into a page message."""
        try:
            if not org_id:
                raise NotFound("Organization not found.")
            return await run(fn, actor, uuid.UUID(org_id))
        except ServiceError as exc:
            message = exc.message
        except stripe.StripeError as exc:
            log.warning("Stripe call %s failed: %s", fn.__name__, type(exc).__name__)
            message = STRIPE_DOWN
        async with self:
            self.error = message
            self.working = False
        return None


def _badge(text: rx.Var) -> rx.Component:
    color = rx.match(text, ("active", "green"), ("past_due", "orange"), ("canceled", "red"), "gray")
    return rx.badge(text, color_scheme=color, size="2")


def _plan_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(BillingState.plan_name + " plan", size="5"),
                _badge(BillingState.subscription_status),
                align="center",
                spacing="3",
            ),
            rx.cond(
                BillingState.subscription_status == "past_due",
                rx.text(
                    "Stripe could not charge the last invoice. Paid features stay on while it "
                    "retries; update the card under Manage billing.",
                    color_scheme="orange",
                ),
            ),
            rx.hstack(
                rx.cond(
                    BillingState.can_upgrade,
                    rx.button("Upgrade", on_click=BillingState.upgrade, loading=BillingState.working),
                ),
                rx.cond(
                    BillingState.has_billing_account,
                    rx.button(
                        "Manage billing", variant="soft", on_click=BillingState.manage, loading=BillingState.working
                    ),
                ),
                spacing="3",
            ),
            spacing="3",
        ),
        width="100%",
    )


def _limits_table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell("Limit"),
                rx.table.column_header_cell("In use"),
                rx.table.column_header_cell("Your plan allows"),
            )
        ),
        rx.table.body(
            rx.foreach(
                BillingState.limits,
                lambda row: rx.table.row(
                    rx.table.cell(row["label"]),
                    rx.table.cell(row["usage"]),
                    rx.table.cell(row["limit"]),
                ),
            )
        ),
        width="100%",
    )


def _schedule() -> rx.Component:
    return rx.vstack(
        rx.heading("Scheduled scans", size="4"),
        rx.hstack(
            rx.select(
                BillingState.frequencies, value=BillingState.scan_frequency, on_change=BillingState.set_frequency
            ),
            rx.cond(~BillingState.hourly_allowed, rx.text("Hourly scans need the Pro plan.", color_scheme="gray")),
            align="center",
            spacing="3",
        ),
        rx.cond(
            BillingState.scan_frequency != BillingState.effective_scan_frequency,
            rx.text(
                "Your plan no longer allows the saved schedule (",
                BillingState.scan_frequency,
                "); scans run ",
                BillingState.effective_scan_frequency,
                " until you upgrade.",
                color_scheme="orange",
            ),
        ),
        spacing="2",
    )


def _content() -> rx.Component:
    return rx.vstack(
        callout_if(BillingState.notice, icon="info"),
        callout_if(BillingState.error, icon="triangle-alert", color_scheme="red"),
        rx.cond(
            BillingState.billing_enabled,
            _plan_card(),
            rx.callout(NOT_CONFIGURED, icon="info"),
        ),
        _limits_table(),
        _schedule(),
        spacing="5",
        width="100%",
    )


@org_page("/billing", "Billing", on_load=BillingState.load)
def billing_page() -> rx.Component:
    return rx.cond(
        BillingState.loaded,
        rx.cond(
            BillingState.allowed,
            _content(),
            rx.callout("Only administrators can manage billing.", icon="lock"),
        ),
        rx.spinner(),
    )
