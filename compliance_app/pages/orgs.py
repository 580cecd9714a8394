"""/orgs: the one list of your organizations (latest score, audits; each opens its dashboard)
and creating a new one (name → slug derived until you type your own), which opens the new
organization's dashboard on its first steps."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from compliance_app.components.figures import plural
from compliance_app.components.forms import field_error, org_fields
from compliance_app.components.layout import empty_state, shell
from compliance_app.services import organizations
from compliance_app.services.errors import AuthenticationRequired, ServiceError
from compliance_app.services.overview import list_organization_summaries
from compliance_app.state.offloop import off_loop
from compliance_app.state.session import SessionState


class OrgCard(TypedDict):
    name: str
    slug: str
    role: str
    score: str
    audits: str


class OrgsState(SessionState):
    cards: list[OrgCard] = []
    loaded: bool = False
    name: str = ""
    slug: str = ""
    slug_edited: bool = False
    name_error: str = ""
    slug_error: str = ""
    form_error: str = ""

    @rx.event
    @off_loop
    def load(self) -> rx.event.EventSpec | None:
        if not self._resolve_user():
            return self._login_redirect()
        # A fresh form on every visit (state outlives client-side navigation).
        self.name = self.slug = self.name_error = self.slug_error = self.form_error = ""
        self.slug_edited = False
        self.cards = [
            OrgCard(name=o.name, slug=o.slug, role=o.role,
                    score="—" if o.latest_score is None else str(o.latest_score),
                    audits=plural(o.audit_count, "audit"))
            for o in list_organization_summaries(self._actor())
        ]
        self.loaded = True
        return None

    @rx.event
    def set_name(self, value: str) -> None:
        self.name = value
        self.name_error = ""
        if not self.slug_edited:
            self.slug = organizations.slugify(value)

    @rx.event
    def set_slug(self, value: str) -> None:
        self.slug = value.strip().lower()
        # Emptying the field (or typing exactly the derived slug) hands it back to the name.
        self.slug_edited = self.slug not in ("", organizations.slugify(self.name))
        if not self.slug_edited:
            self.slug = organizations.slugify(self.name)
        self.slug_error = ""

    @rx.event
    @off_loop
    def create(self) -> rx.event.EventSpec | None:
        self.name_error = self.slug_error = self.form_error = ""
        # Every field's problem at once (the service stops at the first), by the service's own rules.
        checks = [("name_error", lambda: organizations.validate_name(self.name))]
        if self.slug:
            checks.append(("slug_error", lambda: organizations.validate_slug(self.slug)))
        for field, check in checks:
            try:
                check()
            except ServiceError as exc:
                setattr(self, field, exc.message)
        if self.name_error or self.slug_error:
            return None
        try:
            org = organizations.create_organization(self._actor(), self.name, self.slug or None)
        except AuthenticationRequired:
            return self._login_redirect()
        except ServiceError as exc:
            self.name_error, self.slug_error, self.form_error = exc.message_slots("name", "slug")
            return None
        self.name = self.slug = ""
        self.slug_edited = False
        return rx.redirect(f"/o/{org.slug}")


def _org_card(card: OrgCard) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.icon("building-2", size=20),
                rx.vstack(
                    rx.text(card["name"], weight="medium"),
                    rx.text(card["audits"], " · ", card["role"], size="1", color_scheme="gray"),
                    spacing="0",
                ),
                rx.spacer(),
                rx.vstack(
                    rx.text("Latest score", size="1", color_scheme="gray"),
                    rx.heading(card["score"], size="6", class_name="org-score"),
                    align="end",
                    spacing="0",
                ),
                align="center",
                width="100%",
            ),
            width="100%",
            _hover={"border_color": rx.color("accent", 8)},
        ),
        href="/o/" + card["slug"],
        underline="none",
        color_scheme="gray",
        high_contrast=True,
        width="100%",
        class_name="org-card",
    )


def _create_form() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Create an organization", size="4"),
            *org_fields(
                OrgsState.name, OrgsState.set_name, OrgsState.name_error,
                OrgsState.slug, OrgsState.set_slug, OrgsState.slug_error,
                slug_hint=rx.text(
                    "Lowercase letters, digits and hyphens; 3 to 50 characters. Appears in the URL as /o/",
                    OrgsState.slug,
                    size="1",
                    color_scheme="gray",
                ),
                test_prefix="org",
                name_props={"placeholder": "Acme Inc"},
                slug_props={"placeholder": "acme-inc"},
            ),
            field_error(OrgsState.form_error),
            rx.button("Create organization", on_click=OrgsState.create, data_testid="org-create"),
            spacing="2",
            width="100%",
        ),
        width="100%",
        max_width="520px",
    )


@rx.page(route="/orgs", title="Organizations · compliance_app", on_load=OrgsState.load)
def orgs_page() -> rx.Component:
    return shell(
        "Organizations",
        rx.vstack(
            rx.cond(
                OrgsState.cards.length() > 0,
                rx.vstack(rx.foreach(OrgsState.cards, _org_card), width="100%", max_width="520px"),
                rx.cond(OrgsState.loaded,
                        empty_state("building-2", "No organization yet",
                                    "Create your organization below to connect GitHub and AWS and run your first "
                                    "audit, or ask an admin for an invitation.")),
            ),
            _create_form(),
            spacing="5",
            width="100%",
        ),
        user_label=OrgsState.user_email,
    )
