"""The organization of the current /o/{slug}/… page, shared by every organization page.

Contract for page states (dashboard, integrations, snapshots, billing, …):

    class MembersState(OrgState):
        rows: list[dict] = []

        @rx.event
        @off_loop                                     # the body runs off the event loop (state/offloop.py)
        def load(self):
            if (redirect := self._enter_org()) is not None or not self.org_found:
                return redirect                       # login redirect, or "not found" shown
            self.rows = services.list_x(self._actor(), self._org_uuid())

    @app_page("/o/[slug]/members", "Members", on_load=MembersState.load)

Pages with nothing of their own to load use `on_load=OrgState.load_org`. Wrap the page
body in `components.org_page.org_shell(...)`, which shows "not found" to non-members.
The slug is read from the URL path (/o/{slug}/…), so any route shape under /o/ works.
Flags (`can_member`, `can_admin`, `is_owner`) only hide controls; services decide.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import reflex as rx

from compliance_app.services import landing
from compliance_app.services.authz import Permission
from compliance_app.services.errors import AuthenticationRequired, NotFound
from compliance_app.state.offloop import off_loop
from compliance_app.state.session import SessionState


class OrgState(SessionState):
    _org_id: str = ""
    org_slug: str = ""
    org_name: str = ""
    role: str = ""
    is_owner: bool = False
    can_member: bool = False
    can_admin: bool = False
    org_found: bool = True
    organizations: list[dict[str, str]] = []

    def _slug_from_url(self) -> str:
        parts = [p for p in (self.router.url.path or "").split("/") if p]
        return parts[1].lower() if len(parts) >= 2 and parts[0] == "o" else ""

    def _org_uuid(self) -> uuid.UUID:
        """The current organization's id (services authorize it again on every call)."""
        if not self._org_id:
            raise NotFound("Organization not found.")
        return uuid.UUID(self._org_id)

    def _clear_org(self) -> None:
        self._org_id = ""
        self.org_name = ""
        self.role = ""
        self.is_owner = self.can_member = self.can_admin = False

    def _enter_org(self) -> rx.event.EventSpec | None:
        """Sign-in check + load the URL's organization (and remember it as where signing in
        lands: services/landing.py); returns a redirect to /login or None.

        A non-member (or a missing slug) leaves `org_found` False: the page shows
        "not found" without saying whether the organization exists.
        """
        actor = self._actor()
        if not self.is_authenticated:
            self._clear_org()
            return self._login_redirect()
        slug = self._slug_from_url()
        self._assign(org_slug=slug)
        try:
            access, mine = landing.enter_organization(actor, self.org_slug)
        except (NotFound, AuthenticationRequired):
            self._clear_org()
            self.org_found = False
            return None
        self._assign(organizations=mine, org_found=True, _org_id=str(access.organization.id),
                     org_name=access.organization.name, org_slug=access.organization.slug, role=str(access.role),
                     is_owner=access.is_owner, can_member=access.can(Permission.RUN_SCAN),
                     can_admin=access.can(Permission.MANAGE_MEMBERS))
        return None

    @rx.event
    @off_loop
    def load_org(self) -> rx.event.EventSpec | None:
        return self._enter_org()

    @rx.event
    def switch_org(self, slug: str) -> rx.event.EventSpec:
        """Go to the same section of another organization (a full page load)."""
        parts = [p for p in (self.router.url.path or "").split("/") if p]
        section = "/".join(parts[2:]) if len(parts) > 2 and parts[0] == "o" else ""
        return rx.redirect(f"/o/{quote(slug, safe='')}" + (f"/{section}" if section else ""))
