"""The 303 redirects the browser-facing sign-in routes answer with.

A form post answered with 303 makes the browser load the target with GET, so a reload
never re-posts a password; a refusal goes back to the form with its message in the query.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import RedirectResponse

from compliance_app.services.errors import RateLimited, ServiceError


def see_other(path: str, **query: str) -> RedirectResponse:
    """A redirect to `path`; empty query values are left out."""
    query = {k: v for k, v in query.items() if v}
    return RedirectResponse(path + ("?" + urlencode(query) if query else ""), status_code=303)


def back_to_form(path: str, exc: ServiceError, **query: str) -> RedirectResponse:
    """Back to the form with the message; a throttled caller also learns when to retry."""
    response = see_other(path, error=exc.message, **query)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response
