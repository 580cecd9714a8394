"""Drive an ASGI app with a request body sent in chunks, and see how much of it was read.

Starlette's TestClient reads a streamed body whole before the app sees it, so it cannot
show whether a route stops reading early; this helper hands the body over chunk by chunk
(no Content-Length, like a chunked upload) and counts the chunks the app asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message


@dataclass
class StreamResult:
    status: int
    chunks_read: int
    body: bytes


def post_chunks(
    app: ASGIApp, path: str, chunk: Callable[[int], bytes], count: int, headers: dict[str, str] | None = None
) -> StreamResult:
    """POST `count` chunks (chunk(i) makes the i-th) to `path`; returns the status and chunks consumed."""
    read = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal read
        if read >= count:
            return {"type": "http.disconnect"}
        read += 1
        return {"type": "http.request", "body": chunk(read - 1), "more_body": read < count}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        + [(b"host", b"testserver"), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return StreamResult(start["status"], read, body)
