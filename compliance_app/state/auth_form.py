"""What the sign-in and sign-up pages share: the /api/auth routes redirect back to them with
the error, the email typed and where to go next in the query string."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from compliance_app.api.auth import DEFAULT_NEXT, safe_next


class AuthFormState(rx.State, mixin=True):
    """A mixin: each page keeps its own copy of these vars, as it did before they were shared."""

    error: str = ""
    email: str = ""
    next_path: str = DEFAULT_NEXT
    #: The other form (sign-in <-> sign-up), keeping where the user was going; each page sets
    #: its own default.
    switch_href: str = ""

    def _read_query(self, switch_route: str) -> rx.event.EventSpec | None:
        """Fill the form from the redirect's query; someone already signed in goes straight on."""
        params = self.router.url.query_parameters
        self.error = params.get("error", "")[:300]
        self.email = params.get("email", "")[:320]
        self.next_path = safe_next(params.get("next"))
        self.switch_href = f"{switch_route}?next=" + quote(self.next_path, safe="")
        if self._resolve_user():  # type: ignore[attr-defined] - pages mix this into a SessionState
            return rx.redirect(self.next_path)
        return None
