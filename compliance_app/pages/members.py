"""/o/{slug}/members: the member list; admins invite, change roles and remove.

The invite link is shown once, right after creating the invitation (only its hash is
stored). Controls are hidden from non-admins; the services refuse them regardless.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import reflex as rx

from compliance_app.components.figures import day, iso_utc, local_time, when
from compliance_app.components.forms import callout_if, field_error
from compliance_app.components.org_page import org_page
from compliance_app.models import Role
from compliance_app.services import organizations
from compliance_app.services.errors import AuthenticationRequired, ServiceError
from compliance_app.state.offloop import off_loop
from compliance_app.state.org import OrgState

ROLES = [r.value for r in Role]
#: The read-only field that receives a new invitation link (see MembersState.invite_shown).
INVITE_LINK_ID = "invite-link"


class MembersState(OrgState):
    members: list[dict[str, str]] = []
    invitations: list[dict[str, str]] = []
    invite_email: str = ""
    invite_role: str = Role.MEMBER.value
    #: The link itself never enters the state (it would be kept with it, e.g. in Redis):
    #: the event that creates it writes it straight into the page's read-only field.
    invite_shown: bool = False
    invite_error: str = ""
    error: str = ""
    notice: str = ""

    def _refresh(self) -> None:
        actor, org_id = self._actor(), self._org_uuid()
        self.members = [
            {
                "user_id": m.user_id,
                "email": m.email,
                "name": m.name,
                "role": m.role,
                "owner": "owner" if m.is_owner else "",
                "joined": day(m.joined_at),
                "joined_iso": iso_utc(m.joined_at),
            }
            for m in organizations.list_members(actor, org_id)
        ]
        self.invitations = (
            [
                {"id": i.id, "email": i.email, "role": i.role, "expires": when(i.expires_at),
                 "expires_iso": iso_utc(i.expires_at)}
                for i in organizations.list_invitations(actor, org_id)
            ]
            if self.can_admin
            else []
        )

    def _run(self, action: Callable[..., object], *args: str) -> rx.event.EventSpec | None:
        """Call a service with the actor and org; show its refusal as a message, then reload."""
        self.error = self.notice = ""
        try:
            action(self._actor(), self._org_uuid(), *args)
        except AuthenticationRequired:
            return self._login_redirect()
        except ServiceError as exc:
            self.error = exc.message
        return self._show()

    def _show(self) -> rx.event.EventSpec | None:
        """Re-check membership (the action may have removed the caller's own), then reload the lists."""
        redirect = self._enter_org()
        if redirect is not None or not self.org_found:
            return redirect
        self._refresh()
        return None

    @rx.event
    @off_loop
    def load(self) -> rx.event.EventSpec | None:
        self.invite_error = self.error = self.notice = ""
        self.invite_shown = False
        return self._show()

    @rx.event
    def set_invite_email(self, value: str) -> None:
        self.invite_email = value
        self.invite_error = ""

    @rx.event
    def set_invite_role(self, value: str) -> None:
        self.invite_role = value

    @rx.event
    @off_loop
    def invite(self) -> Iterator[rx.event.EventSpec | None]:
        self.invite_error = ""
        self.invite_shown = False
        try:
            _invitation, token = organizations.invite_member(
                self._actor(), self._org_uuid(), self.invite_email, self.invite_role
            )
        except AuthenticationRequired:
            yield self._login_redirect()
            return
        except ServiceError as exc:
            self.invite_error = exc.message
            return
        self.invite_shown = True
        self.invite_email = ""
        self._refresh()
        yield  # the field is on the page before its value arrives
        yield rx.set_value(INVITE_LINK_ID, organizations.invitation_url(token))

    @rx.event
    @off_loop
    def change_role(self, user_id: str, role: str) -> rx.event.EventSpec | None:
        return self._run(organizations.change_role, user_id, role)

    @rx.event
    @off_loop
    def remove(self, user_id: str) -> rx.event.EventSpec | None:
        return self._run(organizations.remove_member, user_id)

    @rx.event
    def resend(self, email: str, role: str) -> rx.event.EventHandler:
        """A new link for a pending invitation (the service replaces the earlier one), shown as
        an invite's link is."""
        self.invite_email, self.invite_role = email, role
        return MembersState.invite

    @rx.event
    @off_loop
    def revoke(self, invitation_id: str) -> rx.event.EventSpec | None:
        return self._run(organizations.revoke_invitation, invitation_id)


def _member_row(m: rx.Var) -> rx.Component:
    role_control = rx.cond(
        MembersState.can_admin,
        rx.select(
            ROLES,
            value=m["role"],
            on_change=lambda role: MembersState.change_role(m["user_id"], role),
            size="1",
            data_testid="role-select",
        ),
        rx.badge(m["role"], variant="soft"),
    )
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(m["email"]), rx.text(m["name"], size="1", color_scheme="gray"), spacing="0")),
        rx.table.cell(
            rx.hstack(role_control, rx.cond(m["owner"] != "", rx.badge("owner", color_scheme="amber")), spacing="2")
        ),
        rx.table.cell(local_time(m["joined_iso"], m["joined"], date_only=True)),
        rx.table.cell(
            rx.cond(
                MembersState.can_admin & (m["owner"] == ""),
                rx.button(
                    "Remove",
                    size="1",
                    color_scheme="red",
                    variant="soft",
                    on_click=MembersState.remove(m["user_id"]),
                    data_testid="remove-member",
                ),
            )
        ),
    )


def _invite_form() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Invite someone", size="4"),
            rx.hstack(
                rx.input(
                    placeholder="email@example.com",
                    value=MembersState.invite_email,
                    on_change=MembersState.set_invite_email,
                    type="email",
                    width="280px",
                    data_testid="invite-email",
                ),
                rx.select(
                    ROLES,
                    value=MembersState.invite_role,
                    on_change=MembersState.set_invite_role,
                    data_testid="invite-role",
                ),
                rx.button("Create invite link", on_click=MembersState.invite, data_testid="invite-submit"),
                wrap="wrap",
                spacing="2",
            ),
            field_error(MembersState.invite_error),
            rx.cond(
                MembersState.invite_shown,
                rx.callout(
                    rx.vstack(
                        rx.text(
                            "No mail server is configured: send this link to the person yourself. "
                            "It is shown only now and expires in 7 days."
                        ),
                        rx.input(id=INVITE_LINK_ID, read_only=True, width="100%", data_testid="invite-link"),
                        spacing="2",
                        width="100%",
                    ),
                    color_scheme="green",
                    width="100%",
                ),
            ),
            rx.cond(
                MembersState.invitations.length() > 0,
                rx.vstack(
                    rx.text("Pending invitations", weight="medium", size="2"),
                    rx.text("Resending creates a new link; the link sent before stops working.", size="1",
                            color_scheme="gray"),
                    rx.foreach(
                        MembersState.invitations,
                        lambda i: rx.hstack(
                            rx.text(i["email"], size="2"),
                            rx.badge(i["role"]),
                            rx.text("expires ", local_time(i["expires_iso"], i["expires"]), size="1",
                                    color_scheme="gray"),
                            rx.button("Resend", size="1", variant="ghost", data_testid="invite-resend",
                                      on_click=MembersState.resend(i["email"], i["role"])),
                            rx.button("Revoke", size="1", variant="ghost", on_click=MembersState.revoke(i["id"])),
                            align="center",
                            spacing="2",
                            wrap="wrap",
                        ),
                    ),
                    spacing="1",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        data_testid="invite-card",
    )


@org_page("/members", "Members", on_load=MembersState.load)
def members_page() -> rx.Component:
    return rx.vstack(
        callout_if(MembersState.error, color_scheme="red", width="100%", data_testid="members-error"),
        rx.cond(MembersState.can_admin, _invite_form()),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Member"),
                    rx.table.column_header_cell("Role"),
                    rx.table.column_header_cell("Joined"),
                    rx.table.column_header_cell(""),
                )
            ),
            rx.table.body(rx.foreach(MembersState.members, _member_row)),
            width="100%",
            data_testid="members-table",
        ),
        spacing="4",
        width="100%",
    )
