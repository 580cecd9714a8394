"""Sign-in, sign-up and sign-out as plain HTTP form posts, so the session cookie is HttpOnly.

Reflex's own cookies are written by page JavaScript and therefore readable by any script;
the session token must not be. These routes set/clear the cookie and answer with a 303
redirect, which also makes the browser reload the page so the websocket handshake
carries the new cookie to SessionState (REFLEX.md).
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from compliance_app.services import accounts
from compliance_app.services.errors import ServiceError
from compliance_app.settings import get_settings

COOKIE_NAME = "ca_session"
#: Only same-site paths may be redirect targets (no //evil.example, no scheme).
#: "/" forwards to the dashboard of the organization used last (pages/home.py).
DEFAULT_NEXT = "/"


def safe_next(value: str | None) -> str:
    """A local path to continue to after signing in; anything else becomes DEFAULT_NEXT.

    Control characters are refused too: browsers drop tabs and newlines from URLs, so
    "/<TAB>/evil.example" would become the off-site "//evil.example".
    """
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return DEFAULT_NEXT
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value):
        return DEFAULT_NEXT
    if value.startswith(("/api/auth/", "/login", "/signup")):
        return DEFAULT_NEXT
    return value


def client_key(request: Request) -> str:
    """The client address used to throttle logins (the proxy's view when behind one)."""
    forwarded = request.headers.get("x-forwarded-for", "")
    if forwarded:
        return forwarded.split(",")[0].strip()[:64]
    return request.client.host if request.client else "unknown"


def same_origin(request: Request) -> bool:
    """Refuse cross-site form posts (login CSRF).

    Browsers send Sec-Fetch-Site on every request; the pages' no-referrer policy makes a
    form post's Origin "null", so Origin is only compared when it names a site.
    """
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        return False
    origin = request.headers.get("origin", "")
    if not origin or origin == "null":
        return True
    allowed = {request.url.netloc, request.headers.get("host", ""), urlsplit(get_settings().app_url).netloc}
    return urlsplit(origin).netloc in allowed


def _redirect(path: str, **query: str) -> RedirectResponse:
    query = {k: v for k, v in query.items() if v}
    return RedirectResponse(path + ("?" + urlencode(query) if query else ""), status_code=303)


def _set_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=settings.session_days * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def _clear_cookie(response: Response) -> None:
    settings = get_settings()
    response.delete_cookie(
        COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies
    )


async def login(request: Request) -> Response:
    if not same_origin(request):
        return _redirect("/login", error="Sign in from this site's own login page.")
    form = await request.form()
    email = str(form.get("email", ""))
    next_path = safe_next(str(form.get("next", "")))
    try:
        _user, token = await asyncio.to_thread(
            accounts.authenticate,
            email,
            str(form.get("password", "")),
            client_key(request),
            user_agent=request.headers.get("user-agent"),
        )
    except ServiceError as exc:
        return _redirect("/login", error=exc.message, email=email.strip()[:320], next=next_path)
    response = _redirect(next_path)
    _set_cookie(response, token)
    return response


async def signup(request: Request) -> Response:
    if not same_origin(request):
        return _redirect("/signup", error="Sign up from this site's own page.")
    form = await request.form()
    email = str(form.get("email", ""))
    password = str(form.get("password", ""))
    name = str(form.get("name", ""))
    next_path = safe_next(str(form.get("next", "")))
    if password != str(form.get("password_confirm", password)):
        return _redirect(
            "/signup", error="The two passwords do not match.", field="password_confirm",
            email=email, name=name, next=next_path,
        )  # fmt: skip
    try:
        await asyncio.to_thread(accounts.create_user, email, password, name)
        _user, token = await asyncio.to_thread(
            accounts.authenticate, email, password, client_key(request),
            user_agent=request.headers.get("user-agent"),
        )  # fmt: skip
    except ServiceError as exc:
        return _redirect(
            "/signup", error=exc.message, field=exc.field or "", email=email, name=name, next=next_path
        )
    response = _redirect(next_path)
    _set_cookie(response, token)
    return response


async def logout(request: Request) -> Response:
    """End this browser's session: POST only, from this site only.

    A GET (or a cross-site post) could be triggered by any other site with an <img> or an
    auto-submitting form, signing people out at will.
    """
    if not same_origin(request):
        return _redirect("/")
    await asyncio.to_thread(accounts.logout, request.cookies.get(COOKIE_NAME))
    response = _redirect("/login", notice="You have been signed out.")
    _clear_cookie(response)
    return response


#: What a GET of the sign-out URL shows (a bookmark, a typed URL): a button, never a sign-out.
CONFIRM_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="referrer" content="no-referrer"><title>Sign out</title>
<style>body{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;margin:0}
main{text-align:center}button{font:inherit;padding:.5em 1.2em;cursor:pointer}</style></head>
<body><main><h1>Sign out?</h1>
<form method="post" action="/api/auth/logout"><button type="submit">Sign out</button></form>
<p><a href="/">Back to the app</a></p></main></body></html>
"""


async def logout_confirm(_request: Request) -> Response:
    return HTMLResponse(CONFIRM_PAGE, headers={"cache-control": "no-store", "x-frame-options": "DENY"})


ROUTES = [
    Route("/api/auth/login", login, methods=["POST"]),
    Route("/api/auth/signup", signup, methods=["POST"]),
    Route("/api/auth/logout", logout, methods=["POST"]),
    Route("/api/auth/logout", logout_confirm, methods=["GET"]),
]
