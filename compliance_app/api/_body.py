"""Reading request bodies with a ceiling, counted as the bytes arrive.

Content-Length is only a claim, and a chunked request has none: the limit is enforced
on the bytes actually received, and reading stops at the first chunk past it, so an
oversized body costs the server at most `limit` bytes however it is sent.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import Message


class BodyTooLarge(Exception):
    """The body is (or claims to be) larger than the route accepts."""


def declared_too_large(request: Request, limit: int) -> bool:
    declared = request.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit


def limited(request: Request, limit: int) -> Request:
    """The same request whose body raises BodyTooLarge once more than `limit` bytes arrived.

    Use it for request.form() / request.body(): Starlette parses from the wrapped stream,
    so the multipart parser never sees a byte past the limit.
    """
    if declared_too_large(request, limit):
        raise BodyTooLarge
    received = 0
    receive = request.receive

    async def counting_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge
        return message

    return Request(request.scope, counting_receive)
