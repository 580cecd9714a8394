"""/orgs: the organizations you belong to, and creating a new one (name → editable slug)."""

from __future__ import annotations

import reflex as rx

from compliance_app.components.forms import field_error, org_fields
from compliance_app.components.layout import empty_state, shell
from compliance_app.services import organizations
from compliance_app.services.errors import AuthenticationRequired, ServiceError
from compliance_app.state.session import SessionState


class OrgsState(SessionState):
    orgs: list[dict[str, str]] = []
    name: str = ""
    slug: str = ""
    slug_edited: bool = False
    name_error: str = ""
    slug_error: str = ""
    form_error: str = ""

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        if not self._resolve_user():
            return self._login_redirect()
        self.orgs = organizations.list_my_organizations(self._actor())
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
        self.slug_edited = True
        self.slug_error = ""

    @rx.event
    def create(self) -> rx.event.EventSpec | None:
        self.name_error = self.slug_error = self.form_error = ""
        try:
            org = organizations.create_organization(self._actor(), self.name, self.slug or None)
        except AuthenticationRequired:
            return self._login_redirect()
        except ServiceError as exc:
            self.name_error, self.slug_error, self.form_error = exc.message_slots("name", "slug")
            return None
        self.name = self.slug = ""
        self.slug_edited = False
        return rx.redirect(f"/o/{org.slug}/members")


def _org_card(org: rx.Var) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.icon("building-2", size=20),
                rx.vstack(
                    rx.text(org["name"], weight="medium"),
                    rx.text("/o/", org["slug"], size="1", color_scheme="gray"),
                    spacing="0",
                ),
                rx.spacer(),
                rx.badge(org["role"], variant="soft"),
                align="center",
                width="100%",
            ),
            width="100%",
        ),
        href="/o/" + org["slug"].to(str) + "/members",
        underline="none",
        width="100%",
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
                OrgsState.orgs.length() > 0,
                rx.vstack(rx.foreach(OrgsState.orgs, _org_card), width="100%", max_width="520px"),
                empty_state("building-2", "No organizations yet", "Create one, or ask an admin for an invite."),
            ),
            _create_form(),
            spacing="5",
            width="100%",
        ),
        user_label=OrgsState.user_email,
    )
