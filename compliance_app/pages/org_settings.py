"""/o/{slug}/settings: name and slug (admins), ownership transfer (owner), leaving."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from compliance_app.components.forms import callout_if, org_fields
from compliance_app.components.org_page import org_page
from compliance_app.pages.org_settings_sso import OrgSsoState, sso_card
from compliance_app.services import organizations
from compliance_app.services.errors import AuthenticationRequired, ServiceError
from compliance_app.state.offloop import off_loop
from compliance_app.state.org import OrgState


class OrgSettingsState(OrgState):
    form_name: str = ""
    form_slug: str = ""
    name_error: str = ""
    slug_error: str = ""
    error: str = ""
    notice: str = ""
    candidates: list[dict[str, str]] = []
    new_owner: str = ""

    @rx.event
    @off_loop
    def load(self) -> rx.event.EventSpec | None:
        self.name_error = self.slug_error = self.error = self.notice = self.new_owner = ""
        redirect = self._enter_org()
        if redirect is not None or not self.org_found:
            return redirect
        self.form_name, self.form_slug = self.org_name, self.org_slug
        self.candidates = (
            [
                {"user_id": m.user_id, "email": m.email}
                for m in organizations.list_members(self._actor(), self._org_uuid())
                if not m.is_owner
            ]
            if self.is_owner
            else []
        )
        return None

    @rx.event
    def set_form_name(self, value: str) -> None:
        self.form_name, self.name_error = value, ""

    @rx.event
    def set_form_slug(self, value: str) -> None:
        self.form_slug, self.slug_error = value.strip().lower(), ""

    @rx.event
    def set_new_owner(self, value: str) -> None:
        self.new_owner = value

    @rx.event
    @off_loop
    def save(self) -> rx.event.EventSpec | None:
        self.name_error = self.slug_error = self.error = self.notice = ""
        try:
            org = organizations.update_organization(
                self._actor(), self._org_uuid(), name=self.form_name, slug=self.form_slug
            )
        except AuthenticationRequired:
            return self._login_redirect()
        except ServiceError as exc:
            self.name_error, self.slug_error, self.error = exc.message_slots("name", "slug")
            return None
        if org.slug != self.org_slug:
            return rx.redirect(f"/o/{org.slug}/settings")
        self.org_name = org.name
        self.notice = "Saved."
        return None

    @rx.event
    @off_loop
    def transfer(self) -> rx.event.EventSpec | None:
        return self._act(organizations.transfer_ownership, self.new_owner, then=f"/o/{self.org_slug}/members")

    @rx.event
    @off_loop
    def leave(self) -> rx.event.EventSpec | None:
        return self._act(organizations.leave_organization, then="/orgs")

    def _act(self, action: Callable[..., object], *args: str, then: str) -> rx.event.EventSpec | None:
        self.error = self.notice = ""
        try:
            action(self._actor(), self._org_uuid(), *args)
        except AuthenticationRequired:
            return self._login_redirect()
        except ServiceError as exc:
            self.error = exc.message
            return None
        return rx.redirect(then)


def _details() -> rx.Component:
    editable = OrgSettingsState.can_admin
    return rx.card(
        rx.vstack(
            rx.heading("Organization", size="4"),
            *org_fields(
                OrgSettingsState.form_name, OrgSettingsState.set_form_name, OrgSettingsState.name_error,
                OrgSettingsState.form_slug, OrgSettingsState.set_form_slug, OrgSettingsState.slug_error,
                slug_hint=rx.text(
                    "Changing the slug changes every /o/… address; old links stop working.",
                    size="1",
                    color_scheme="gray",
                ),
                test_prefix="settings",
                name_props={"read_only": ~editable},
                slug_props={"read_only": ~editable},
            ),
            rx.cond(editable, rx.button("Save", on_click=OrgSettingsState.save, data_testid="settings-save")),
            rx.cond(OrgSettingsState.notice != "", rx.text(OrgSettingsState.notice, color_scheme="green", size="2")),
            spacing="2",
            width="100%",
        ),
        width="100%",
        max_width="560px",
    )


def _ownership() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Transfer ownership", size="4"),
            rx.text("The new owner becomes an admin; you stay an admin.", size="2", color_scheme="gray"),
            rx.hstack(
                rx.select.root(
                    rx.select.trigger(placeholder="Choose a member"),
                    rx.select.content(
                        rx.foreach(
                            OrgSettingsState.candidates, lambda m: rx.select.item(m["email"], value=m["user_id"])
                        ),
                    ),
                    value=OrgSettingsState.new_owner,
                    on_change=OrgSettingsState.set_new_owner,
                ),
                rx.button(
                    "Transfer",
                    color_scheme="amber",
                    on_click=OrgSettingsState.transfer,
                    disabled=OrgSettingsState.new_owner == "",
                ),
                spacing="2",
            ),
            spacing="2",
        ),
        width="100%",
        max_width="560px",
    )


def _leave() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Leave organization", size="4"),
            rx.cond(
                OrgSettingsState.is_owner,
                rx.text("You own this organization: transfer ownership before leaving.", size="2", color_scheme="gray"),
                rx.button(
                    "Leave organization",
                    color_scheme="red",
                    variant="soft",
                    on_click=OrgSettingsState.leave,
                    data_testid="leave-org",
                ),
            ),
            spacing="2",
        ),
        width="100%",
        max_width="560px",
    )


@org_page("/settings", "Settings", on_load=[OrgSettingsState.load, OrgSsoState.load])
def org_settings_page() -> rx.Component:
    return rx.vstack(
        callout_if(OrgSettingsState.error, color_scheme="red", width="100%", max_width="560px"),
        _details(),
        rx.cond(OrgSettingsState.can_admin, sso_card()),
        rx.cond(OrgSettingsState.is_owner, _ownership()),
        _leave(),
        spacing="4",
        width="100%",
    )
