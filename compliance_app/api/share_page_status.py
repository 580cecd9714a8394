"""The public share page answers 404 when its link is dead (revoked, expired, unknown).

A Reflex page cannot set its HTTP status: it is the same prebuilt HTML for every token,
and it learns about the link only after the websocket connects. This ASGI middleware sits
in front of the page, looks the token up (without counting a view) and, for a dead link,
lets the page render its own "Link not found or expired" while the response says 404,
like the JSON and PDF routes. Every share page is sent uncacheable and unindexed.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from compliance_app.api.public import PRIVATE_HEADERS
from compliance_app.services.shares import is_live_link

_SHARE_PAGE = re.compile(r"/share/([^/]+)/?")
_EXTRA_HEADERS = [(k.lower().encode(), v.encode()) for k, v in PRIVATE_HEADERS.items()]


class DeadShareLinkStatus:
    """Pure ASGI middleware (no body buffering): only the status line and headers change."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _SHARE_PAGE.fullmatch(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        live = await run_in_threadpool(is_live_link, unquote(match.group(1)))

        async def send_private(message: Message) -> None:
            # Never cached (a revoked link must not keep opening from the browser's cache) nor
            # indexed; a dead link's page says "not found" with the status to match.
            if message["type"] == "http.response.start":
                dropped = {k for k, _ in _EXTRA_HEADERS} | {b"etag", b"last-modified"}
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dropped]
                message = {**message, "headers": headers + _EXTRA_HEADERS}
                if not live:
                    message["status"] = 404
            await send(message)

        await self.app(scope, receive, send_private)
