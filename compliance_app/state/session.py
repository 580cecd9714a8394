"""The signed-in user, resolved from the HttpOnly `ca_session` cookie on the server.

The cookie is set by POST /api/auth/login (api/auth.py). The browser sends it with the
websocket handshake, so `self.router.headers.cookie` holds it here while page scripts
never see it. Only `_user_id` (backend-only) identifies the user; the public vars are
for display.

Usage in a page: `on_load=SessionState.require_login`; in an event handler of a
substate: `services.x.do_something(self._actor(), ...)`.
"""

from __future__ import annotations

import uuid
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote

import reflex as rx

from compliance_app.api.auth import session_cookie_name
from compliance_app.services import accounts
from compliance_app.services.authz import Actor
from compliance_app.state.offloop import call_memo, off_loop


class SessionState(rx.State):
    """Who is signed in. Resolved again by every event (once per off-loop body), so a revoked session
    stops at the next event."""

    _user_id: str = ""
    user_email: str = ""
    user_name: str = ""
    is_authenticated: bool = False

    def _session_token(self) -> str | None:
        cookie = SimpleCookie()
        try:
            cookie.load(self.router.headers.cookie or "")
        except CookieError:
            return None
        morsel = cookie.get(session_cookie_name())
        return morsel.value if morsel else None

    def _resolve_user(self) -> bool:
        """Look the cookie's session up and refresh the display vars; True if signed in.

        Looked up once per off-loop body (offloop.call_memo), however many services it calls."""
        token = self._session_token()
        memo = call_memo()
        key = ("session", token)
        if memo is not None and key in memo:
            user = memo[key]
        else:
            user = accounts.resolve_session(token)
            if memo is not None:
                memo[key] = user
        self._assign(_user_id=str(user.id) if user else "", user_email=user.email if user else "",
                     user_name=user.name if user else "", is_authenticated=user is not None)
        return user is not None

    def _assign(self, **values: object) -> None:
        """Set the vars whose value changed, only: Reflex marks every assigned var dirty and sends
        it with the event's answer, and every event looks the user (and the organization) up
        again, almost always finding the same values."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _request_meta(self) -> dict[str, str]:
        meta = {"ip": self.router.session.client_ip, "user_agent": self.router.headers.user_agent[:200]}
        return {k: v for k, v in meta.items() if v}

    def _actor(self) -> Actor:
        """The Actor for service calls: anonymous when the session is gone (services then refuse)."""
        if not self._resolve_user():
            return Actor.anonymous()
        return Actor(user_id=uuid.UUID(self._user_id), label=self.user_email, request=self._request_meta())

    def _login_redirect(self) -> rx.event.EventSpec:
        path = self.router.url.path or "/"
        query = self.router.url.query
        return rx.redirect("/login?next=" + quote(path + (f"?{query}" if query else ""), safe=""))

    @rx.event
    @off_loop
    def require_login(self) -> rx.event.EventSpec | None:
        """on_load guard: signed-out visitors go to /login and come back here afterwards."""
        if not self._resolve_user():
            return self._login_redirect()
        return None

    @rx.event
    @off_loop
    def load_user(self) -> None:
        """on_load for public pages that only adapt to a signed-in user (login, sign-up)."""
        self._resolve_user()
