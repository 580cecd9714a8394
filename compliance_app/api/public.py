"""Public snapshot downloads for share links: JSON (verifiable) and PDF (printable).

No login. Every token that does not open a live link gets the same 404 body, and every
answer tells search engines and caches to keep away.
"""

from __future__ import annotations

import contextlib
import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from compliance_app.services.errors import NotFound
from compliance_app.services.shares import LINK_NOT_FOUND, PublicSnapshot, resolve_public
from compliance_app.services.snapshot_pdf import render_snapshot_pdf

PRIVATE_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def _not_found() -> JSONResponse:
    return JSONResponse({"error": LINK_NOT_FOUND}, status_code=404, headers=PRIVATE_HEADERS)


async def _resolve(request: Request) -> PublicSnapshot | None:
    try:
        return await run_in_threadpool(resolve_public, request.path_params["token"])
    except NotFound:
        return None


def _file_name(found: PublicSnapshot, extension: str) -> str:
    """'acme-snapshot-2026-12-01.json': the organization and the snapshot's date, safe in a header."""
    slug = re.sub(r"[^a-z0-9-]", "", str((found.data.get("organization") or {}).get("slug", "")).lower())
    return f"{slug or 'compliance'}-snapshot-{found.created_at:%Y-%m-%d}.{extension}"


async def snapshot_json(request: Request) -> Response:
    found = await _resolve(request)
    if found is None:
        return _not_found()
    body = {
        "snapshot": found.data,
        "checksum": found.checksum,
        "algorithm": "sha256",
        "created_at": found.created_at.isoformat(),
        "disclosure": found.disclosure,
    }
    if found.original_checksum:
        # A redacted or raw-less copy: its own checksum above, the frozen original's here.
        body["original_checksum"] = found.original_checksum
    return JSONResponse(
        body,
        headers={**PRIVATE_HEADERS, "Content-Disposition": f'attachment; filename="{_file_name(found, "json")}"'},
    )


async def snapshot_pdf(request: Request) -> Response:
    found = await _resolve(request)
    if found is None:
        return _not_found()
    body = await run_in_threadpool(
        render_snapshot_pdf, found.data, found.checksum, found.created_at.isoformat(), found.original_checksum
    )
    return Response(
        body,
        media_type="application/pdf",
        headers={**PRIVATE_HEADERS, "Content-Disposition": f'attachment; filename="{_file_name(found, "pdf")}"'},
    )


async def malformed(_request: Request) -> Response:
    """Paths no token can form (extra segments): the same 404, and the same lookup work."""
    await run_in_threadpool(_resolve_nothing)
    return _not_found()


def _resolve_nothing() -> None:
    with contextlib.suppress(NotFound):
        resolve_public("")


ROUTES = [
    Route("/api/public/snapshots/{token}", snapshot_json, methods=["GET"]),
    Route("/api/public/snapshots/{token}/pdf", snapshot_pdf, methods=["GET"]),
    Route("/api/public/snapshots/{rest:path}", malformed, methods=["GET"]),
]
