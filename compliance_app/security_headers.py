"""One ASGI middleware that puts the browser-hardening headers on every HTTP response.

Pages, custom /api routes and Reflex's own endpoints all pass through it (it wraps the
whole backend app, see compliance_app.py), so nothing is served without them:

- Content-Security-Policy: scripts only from this origin, plus the inline scripts of the
  built frontend itself (React Router's prerendered pages carry a few: each HTML page is
  sent with the SHA-256 hashes of its own inline scripts, and only of scripts that exist
  in the build on disk), connections only to this origin (the event websocket included),
  no plugins, no <base> tricks, no framing.
- X-Frame-Options DENY and frame-ancestors 'none': no clickjacking.
- X-Content-Type-Options nosniff.
- Referrer-Policy: app pages send strict-origin-when-cross-origin, so the app's own form
  posts carry an Origin that api/auth.py can check; share pages (and their downloads)
  send no-referrer, so the secret token in their URL never leaks to another site.
- Strict-Transport-Security when APP_URL is https.

A route that sets one of these headers itself (an evidence download's CSP sandbox, the
public snapshot routes' no-referrer) keeps its own value.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from compliance_app.settings import get_settings

#: Public share pages and their downloads: their URL is the bearer token, so no Referer at all.
#: (Every other page's strict-origin-when-cross-origin already sends other sites only the
#: origin; invitation pages stay on it because their sign-up and sign-in forms must post
#: with an Origin, and a client-side navigation keeps the first page's policy.)
TOKEN_PATHS = ("/share/", "/api/public/")
HSTS = "max-age=31536000; includeSubDomains"


def app_origins(app_url: str) -> set[str]:
    """The origins (scheme://host[:port]) the app is served from: APP_URL's, and for a
    localhost APP_URL its 127.0.0.1 twin (the same loopback app opened by address).

    rxconfig.py gives these to Reflex as its CORS allow-list (custom API and websocket);
    api/auth.py accepts form posts only from them.
    """
    parts = urlsplit(app_url.strip().rstrip("/"))
    if not parts.scheme or not parts.netloc:
        return set()
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    origins = {origin}
    if parts.hostname == "localhost":
        origins.add(origin.replace("://localhost", "://127.0.0.1", 1))
    return origins


_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_build_hashes: frozenset[str] = frozenset()


def script_hashes(html: bytes) -> list[str]:
    """CSP source expressions ('sha256-…') for the inline scripts of an HTML document, in order."""
    found = []
    for match in _INLINE_SCRIPT.finditer(html):
        digest = base64.b64encode(hashlib.sha256(match.group(1)).digest()).decode()
        if f"'sha256-{digest}'" not in found:
            found.append(f"'sha256-{digest}'")
    return found


def built_script_hashes(static_dir: Path | None = None) -> frozenset[str]:
    """Hashes of every inline script in the built frontend's HTML files (read once per process).

    Only these may run: an inline script that is not part of the build (whatever put it in
    a response) stays blocked.
    """
    global _build_hashes
    if _build_hashes and static_dir is None:
        return _build_hashes
    if static_dir is None:
        # Imported here: rxconfig.py imports this module while Reflex is still loading.
        from reflex import constants
        from reflex.utils import prerequisites

        static_dir = prerequisites.get_web_dir() / constants.Dirs.STATIC
    hashes = frozenset(h for page in Path(static_dir).rglob("*.html") for h in script_hashes(page.read_bytes()))
    _build_hashes = hashes or _build_hashes
    return hashes


def content_security_policy(app_url: str, inline_scripts: list[str] | None = None) -> str:
    """The policy the built Reflex frontend satisfies (checked in Chromium by the browser tests).

    - script-src 'self' 'unsafe-eval' + this page's build inline-script hashes: Reflex's
      event loop evaluates the JavaScript of server-sent `call_script` events with eval().
    - style-src 'self' 'unsafe-inline': Radix and Emotion set style attributes and inject
      <style> elements at run time; styles cannot run code.
    - connect-src 'self' plus the ws(s):// twin of APP_URL for the event websocket
      (older browsers do not count ws: as 'self').
    - img-src/font-src 'self' data: blob:, for inline icons and generated images.
    """
    parts = urlsplit(app_url)
    socket = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}" if parts.netloc else ""
    directives = [
        "default-src 'self'",
        " ".join(["script-src 'self' 'unsafe-eval'", *(inline_scripts or [])]),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        f"connect-src 'self' {socket}".strip(),
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def headers_for(path: str, app_url: str) -> dict[str, str]:
    """The headers a response to `path` gets unless the route set them itself."""
    headers = {
        "Content-Security-Policy": content_security_policy(app_url),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer" if path.startswith(TOKEN_PATHS) else "strict-origin-when-cross-origin",
    }
    if app_url.lower().startswith("https://"):
        headers["Strict-Transport-Security"] = HSTS
    return headers


def _page_policy(body: bytes, encoding: str, app_url: str) -> str:
    """The CSP of one HTML page: its own inline scripts that the build contains."""
    if encoding == "gzip":
        body = gzip.decompress(body)
    elif encoding not in ("", "identity"):
        return content_security_policy(app_url)
    allowed = built_script_hashes()
    return content_security_policy(app_url, [h for h in script_hashes(body) if h in allowed])


class SecurityHeaders:
    """Pure ASGI (no BaseHTTPMiddleware): websockets pass untouched, non-HTML bodies stream.

    An HTML response is held until its last chunk (the frontend's pages are a few KB) so
    its inline scripts can be hashed into its policy.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        app_url = get_settings().app_url
        wanted = headers_for(scope.get("path", ""), app_url)
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_with_headers(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in wanted.items():
                    # A 304 updates the cached page's headers: sent without a CSP, the policy
                    # stored with the page (hashes included) stays in force.
                    if name not in headers and not (message["status"] == 304 and name == "Content-Security-Policy"):
                        headers[name] = value
                if headers.get("content-type", "").startswith("text/html"):
                    start = message  # sent with the policy once the body is complete
                    return
            elif start is not None and message["type"] == "http.response.pathsend":
                # The server sends the file itself (ASGI pathsend): read it to hash it.
                await _send_with_policy(start, await asyncio.to_thread(Path(message["path"]).read_bytes))
                await send(message)
                return
            elif start is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                await _send_with_policy(start, body)
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await send(message)

        async def _send_with_policy(start_message: Message, body: bytes) -> None:
            headers = MutableHeaders(scope=start_message)
            if headers.get("content-security-policy") == wanted["Content-Security-Policy"]:
                encoding = headers.get("content-encoding", "").lower()
                headers["content-security-policy"] = _page_policy(body, encoding, app_url)
            await send(start_message)

        await self.app(scope, receive, send_with_headers)
