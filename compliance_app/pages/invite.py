"""/invite/{token}: see an invitation, sign in (or up) with the invited email, accept it."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from compliance_app.components.forms import callout_if, post_form
from compliance_app.components.layout import centered_card
from compliance_app.services import organizations
from compliance_app.services.errors import AuthenticationRequired, ServiceError
from compliance_app.state.offloop import off_loop
from compliance_app.state.session import SessionState


class InviteState(SessionState):
    organization_name: str = ""
    invited_email: str = ""
    invited_role: str = ""
    error: str = ""
    login_href: str = "/login"
    signup_href: str = "/signup"

    def _token(self) -> str:
        parts = [p for p in (self.router.url.path or "").split("/") if p]
        return parts[1] if len(parts) >= 2 and parts[0] == "invite" else ""

    @rx.event
    @off_loop
    def load(self) -> None:
        self.error = ""
        self._resolve_user()
        here = quote(self.router.url.path or "/", safe="")
        self.login_href, self.signup_href = f"/login?next={here}", f"/signup?next={here}"
        try:
            preview = organizations.preview_invitation(self._token())
        except ServiceError as exc:
            self.error = exc.message
            return
        self.organization_name = preview.organization_name
        self.invited_email = preview.email
        self.invited_role = preview.role

    @rx.event
    @off_loop
    def accept(self) -> rx.event.EventSpec | None:
        try:
            org = organizations.accept_invitation(self._actor(), self._token())
        except AuthenticationRequired:
            return self._login_redirect()
        except ServiceError as exc:
            self.error = exc.message
            return None
        return rx.redirect(f"/o/{org.slug}/members")


@rx.page(route="/invite/[token]", title="Invitation · compliance_app", on_load=InviteState.load)
def invite_page() -> rx.Component:
    return centered_card(
        rx.heading("Invitation", size="6"),
        rx.cond(
            InviteState.organization_name != "",
            rx.text(
                "You are invited to join ",
                rx.text.strong(InviteState.organization_name),
                " as ",
                rx.text.strong(InviteState.invited_role),
                " (",
                InviteState.invited_email,
                ").",
            ),
        ),
        callout_if(InviteState.error, color_scheme="red", width="100%", data_testid="invite-error"),
        rx.cond(
            InviteState.organization_name != "",
            rx.cond(
                InviteState.is_authenticated,
                rx.cond(
                    InviteState.user_email.lower() == InviteState.invited_email.lower(),
                    rx.vstack(
                        rx.text("Signed in as ", InviteState.user_email, size="2", color_scheme="gray"),
                        rx.button(
                            "Accept invitation", on_click=InviteState.accept, width="100%",
                            data_testid="invite-accept",
                        ),
                        width="100%",
                    ),
                    # Accepting would be refused (the invitation is for another email): say so first.
                    rx.vstack(
                        rx.callout(
                            rx.text("Signed in as ", rx.text.strong(InviteState.user_email), " — sign out to "
                                    "accept as ", rx.text.strong(InviteState.invited_email),
                                    ", then open this link again."),
                            icon="user-x", color_scheme="amber", width="100%", data_testid="invite-other-account",
                        ),
                        post_form(rx.button("Sign out", type="submit", variant="soft"), action="/api/auth/logout"),
                        width="100%",
                    ),
                ),
                rx.hstack(
                    rx.link(rx.button("Sign in"), href=InviteState.login_href),
                    rx.link(rx.button("Create account", variant="soft"), href=InviteState.signup_href),
                    spacing="3",
                ),
            ),
        ),
    )
