"""Single sign-on routes: send the browser to the identity provider, take its answer back.

`/api/auth/sso/login` stores the sign-in (services/sso.py) and binds its state to this browser
with an HttpOnly cookie limited to the callback's path; `/api/auth/sso/callback` requires that
cookie to match the state the provider returns (nobody can finish their sign-in in someone
else's browser), then sets the session cookie exactly as the password sign-in does.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from compliance_app.api.auth import client_ip, safe_next
from compliance_app.api.redirects import back_to_form, see_other
from compliance_app.api.session_cookie import secure_cookies, session_token, set_session_cookie
from compliance_app.services import sso
from compliance_app.services.errors import AuthenticationRequired, ServiceError

STATE_COOKIE = "ca_sso_state"
STATE_COOKIE_PATH = sso.CALLBACK_PATH


async def sso_login(request: Request) -> Response:
    """GET (a link on the sign-in page): off to the provider; refusals back to /login with the reason."""
    next_path = safe_next(request.query_params.get("next"))
    try:
        url, state = await asyncio.to_thread(sso.begin_sign_in, next_path)
    except ServiceError as exc:
        return back_to_form("/login", exc, next=next_path)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(STATE_COOKIE, state, max_age=int(sso.LOGIN_TTL.total_seconds()), path=STATE_COOKIE_PATH,
                        httponly=True, samesite="lax", secure=secure_cookies())  # fmt: skip
    return response


async def sso_callback(request: Request) -> Response:
    """The provider's redirect back (GET with code and state, or error)."""
    params = request.query_params
    try:
        if params.get("error"):
            description = params.get("error_description") or params["error"]
            raise AuthenticationRequired(f"The identity provider refused the sign-in: {description[:200]}")
        _user, token, next_path = await asyncio.to_thread(
            sso.finish_sign_in, params.get("state", ""), params.get("code", ""), request.cookies.get(STATE_COOKIE),
            client_ip(request), user_agent=request.headers.get("user-agent"), previous_token=session_token(request),
        )  # fmt: skip
    except ServiceError as exc:
        response = back_to_form("/login", exc)
    else:
        response = see_other(safe_next(next_path))
        set_session_cookie(response, token)
    response.delete_cookie(STATE_COOKIE, path=STATE_COOKIE_PATH, httponly=True, samesite="lax", secure=secure_cookies())
    return response


ROUTES = [
    Route("/api/auth/sso/login", sso_login, methods=["GET"]),
    Route(sso.CALLBACK_PATH, sso_callback, methods=["GET"]),
]
