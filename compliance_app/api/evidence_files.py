"""Evidence proof files: upload and download, authorized by the HttpOnly session cookie.

Reflex's own /_upload is public, so proof files never go through it. The drawer posts a
plain multipart form here; the file is checked and stored by services/evidence_files.py.
Downloads answer 404 to anyone who may not read the evidence (anonymous, other tenants),
exactly as for a missing file, so ids leak nothing.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from compliance_app.api.auth import COOKIE_NAME, safe_next, same_origin
from compliance_app.services import accounts
from compliance_app.services.authz import Actor
from compliance_app.services.errors import NotFound, ServiceError, ValidationError
from compliance_app.services.evidence_files import human_size, open_evidence_file, save_evidence_file
from compliance_app.settings import get_settings

#: Room for the multipart envelope around the file itself.
_FORM_OVERHEAD = 64 * 1024
_NOT_FOUND = "Not found"


def _actor(request: Request) -> Actor:
    user = accounts.resolve_session(request.cookies.get(COOKIE_NAME))
    if user is None:
        return Actor.anonymous()
    meta = {"ip": request.client.host if request.client else "", "user_agent": request.headers.get("user-agent", "")}
    return accounts.user_actor(user, {k: v[:200] for k, v in meta.items() if v})


async def download(request: Request) -> Response:
    actor = await asyncio.to_thread(_actor, request)
    try:
        found = await asyncio.to_thread(open_evidence_file, actor, request.path_params["evidence_id"])
    except ServiceError:
        return Response(_NOT_FOUND, status_code=404, media_type="text/plain")
    return FileResponse(
        found.path,
        media_type=found.content_type,
        content_disposition_type="inline",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


def _same_site(request: Request) -> bool:
    """Refuse cross-site posts. The page's no-referrer policy makes browsers send
    `Origin: null` on form posts, so Fetch Metadata decides when present; the session
    cookie being SameSite=Lax is the second line."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    return request.headers.get("origin") == "null" or same_origin(request)


def _answer(next_path: str | None, evidence_id: str, status: int, message: str) -> Response:
    """Forms get redirected back to their page with a message; scripts get JSON."""
    if next_path is None:
        key = "message" if status < 400 else "error"
        return JSONResponse({key: message, "evidence_id": evidence_id}, status_code=status)
    query = {"evidence": evidence_id, ("notice" if status < 400 else "error"): message}
    sep = "&" if "?" in next_path else "?"
    return RedirectResponse(next_path + sep + urlencode(query), status_code=303)


async def upload(request: Request) -> Response:
    evidence_id = str(request.path_params["evidence_id"])
    if not _same_site(request):
        return Response("Cross-site upload refused", status_code=403, media_type="text/plain")
    limit = get_settings().upload_max_bytes
    declared = request.headers.get("content-length", "")
    next_path: str | None = None
    if declared.isdigit() and int(declared) > limit + _FORM_OVERHEAD:
        return _answer(None, evidence_id, 413, f"The file is too large; the limit is {human_size(limit)}.")
    try:
        form = await request.form(max_files=1, max_fields=5)
    except MultiPartException:
        return _answer(None, evidence_id, 400, "The upload could not be read; send a multipart form with a file.")
    if "next" in form:
        next_path = safe_next(str(form["next"]))
    upload_file = form.get("file")
    actor = await asyncio.to_thread(_actor, request)
    try:
        if not isinstance(upload_file, UploadFile):
            raise ValidationError("Choose a PNG, JPEG or PDF file to upload.", field="file")
        data = await upload_file.read(limit + 1)
        stored = await asyncio.to_thread(save_evidence_file, actor, evidence_id, data, upload_file.filename or "")
    except NotFound as exc:
        return _answer(None, evidence_id, 404, exc.message)
    except ServiceError as exc:
        return _answer(next_path, evidence_id, exc.status_code, exc.message)
    finally:
        await form.close()
    return _answer(next_path, evidence_id, 201, f"Proof file uploaded ({human_size(stored.size)}).")


ROUTES = [
    Route("/api/evidence/{evidence_id:int}/file", download, methods=["GET"]),
    Route("/api/evidence/{evidence_id:int}/file", upload, methods=["POST"]),
]
