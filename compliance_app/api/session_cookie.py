"""The HttpOnly session cookie: its name, and how the sign-in routes set and clear it.

Password sign-in, sign-up, sign-out (api/auth.py) and single sign-on (api/sso.py) must write
exactly the same cookie, or a session started one way could not be ended the other way.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from compliance_app.settings import get_settings

COOKIE_NAME = "ca_session"
#: Behind https the cookie is `__Host-ca_session`: browsers accept that name only with
#: Secure, Path=/ and no Domain, so neither plain http nor a sibling subdomain can set it.
HOST_COOKIE_NAME = "__Host-" + COOKIE_NAME


def is_https() -> bool:
    return get_settings().app_url.strip().lower().startswith("https://")


def secure_cookies() -> bool:
    """Whether cookies carry Secure: asked for in the settings, or implied by an https APP_URL."""
    return get_settings().secure_cookies or is_https()


def session_cookie_name() -> str:
    """The session cookie's name for this installation (see HOST_COOKIE_NAME)."""
    return HOST_COOKIE_NAME if is_https() else COOKIE_NAME


def session_token(request: Request) -> str | None:
    return request.cookies.get(session_cookie_name())


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        session_cookie_name(),
        token,
        max_age=get_settings().session_days * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(),
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(session_cookie_name(), path="/", httponly=True, samesite="lax", secure=secure_cookies())
