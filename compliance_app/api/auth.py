"""Sign-in, sign-up and sign-out as plain HTTP form posts, so the session cookie is HttpOnly.

Reflex's own cookies are written by page JavaScript and therefore readable by any script;
the session token must not be. These routes set/clear the cookie and answer with a 303
redirect, which also makes the browser reload the page so the websocket handshake
carries the new cookie to SessionState (REFLEX.md).
"""

from __future__ import annotations

import asyncio
import ipaddress
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from compliance_app.api.redirects import back_to_form, see_other
from compliance_app.api.session_cookie import clear_session_cookie, session_token, set_session_cookie

# Re-exported: state/session.py and bench/ui_load.py still read the cookie's name from here.
from compliance_app.api.session_cookie import session_cookie_name as session_cookie_name
from compliance_app.security_headers import app_origins
from compliance_app.services import accounts
from compliance_app.services.authz import Actor
from compliance_app.services.errors import ServiceError
from compliance_app.settings import get_settings

#: Only same-site paths may be redirect targets (no //evil.example, no scheme).
#: "/" forwards to the dashboard of the organization used last (pages/home.py).
DEFAULT_NEXT = "/"


def request_actor(request: Request) -> Actor:
    """Who is calling, from the HttpOnly session cookie (anonymous without a live session).
    Blocking (a database read): call it off the event loop."""
    user = accounts.resolve_session(session_token(request))
    if user is None:
        return Actor.anonymous()
    meta = {"ip": client_ip(request), "user_agent": request.headers.get("user-agent", "")}
    return accounts.user_actor(user, {k: v[:200] for k, v in meta.items() if v})


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


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _trusted_networks(spec: str) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def _is_trusted(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_ip(request: Request) -> str:
    """The address that sign-in throttling counts and sessions record.

    X-Forwarded-For is anyone's to write, so it is read only when the connection comes from
    one of TRUSTED_PROXIES, and then from the right: each trusted proxy appends the address
    it saw, so the first entry from the right that is not itself a trusted proxy is the
    client. Entries further left were written by the client and are ignored.
    """
    peer = request.client.host if request.client else "unknown"
    networks = _trusted_networks(get_settings().trusted_proxies)
    if not networks or not _is_trusted(peer, networks):
        return peer[:64]
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop[:64]
    return (hops[0] if hops else peer)[:64]


def same_origin(request: Request) -> bool:
    """Only this site's own pages may post to the auth and upload routes (login CSRF).

    App pages send `Referrer-Policy: strict-origin-when-cross-origin`, so a browser's form
    post carries the page's Origin: it must be the app's own. `Origin: null` (a sandboxed
    frame, a data: page, a no-referrer page elsewhere) and another site's origin are
    refused, and so is Fetch Metadata naming anything but same-origin (a sibling subdomain
    is "same-site", not same-origin). Without an Origin only `Sec-Fetch-Site: same-origin`
    lets a post through.
    """
    fetch_site = request.headers.get("sec-fetch-site", "").lower()
    if fetch_site and fetch_site != "same-origin":
        return False
    origin = request.headers.get("origin", "").strip().lower()
    if not origin:
        return fetch_site == "same-origin"
    own = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}".lower()
    return origin in app_origins(get_settings().app_url) | {own}


async def login(request: Request) -> Response:
    if not same_origin(request):
        return see_other("/login", error="Sign in from this site's own login page.")
    form = await request.form()
    email = str(form.get("email", ""))
    next_path = safe_next(str(form.get("next", "")))
    try:
        _user, token = await asyncio.to_thread(
            accounts.authenticate,
            email,
            str(form.get("password", "")),
            client_ip(request),
            user_agent=request.headers.get("user-agent"),
            previous_token=session_token(request),
        )
    except ServiceError as exc:
        return back_to_form("/login", exc, email=email.strip()[:320], next=next_path)
    response = see_other(next_path)
    set_session_cookie(response, token)
    return response


async def signup(request: Request) -> Response:
    if not same_origin(request):
        return see_other("/signup", error="Sign up from this site's own page.")
    form = await request.form()
    email = str(form.get("email", ""))
    password = str(form.get("password", ""))
    name = str(form.get("name", ""))
    next_path = safe_next(str(form.get("next", "")))
    if password != str(form.get("password_confirm", password)):
        return see_other(
            "/signup", error="The two passwords do not match.", field="password_confirm",
            email=email, name=name, next=next_path,
        )  # fmt: skip
    try:
        await asyncio.to_thread(accounts.sign_up, email, password, name, client_ip(request))
        _user, token = await asyncio.to_thread(
            accounts.authenticate, email, password, client_ip(request),
            user_agent=request.headers.get("user-agent"), previous_token=session_token(request),
        )  # fmt: skip
    except ServiceError as exc:
        return back_to_form("/signup", exc, field=exc.field or "", email=email, name=name, next=next_path)
    response = see_other(next_path)
    set_session_cookie(response, token)
    return response


async def logout(request: Request) -> Response:
    """End this browser's session: POST only, from this site only.

    A GET (or a cross-site post) could be triggered by any other site with an <img> or an
    auto-submitting form, signing people out at will.
    """
    if not same_origin(request):
        return see_other("/")
    await asyncio.to_thread(accounts.logout, session_token(request))
    response = see_other("/login", notice="You have been signed out.")
    clear_session_cookie(response)
    return response


#: What a GET of the sign-out URL shows (a bookmark, a typed URL): a button, never a sign-out.
#: No no-referrer policy here: the button's post must carry this page's Origin (same_origin).
CONFIRM_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Sign out</title>
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
