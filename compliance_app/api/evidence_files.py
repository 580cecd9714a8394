"""Evidence proof files: upload and download, authorized by the HttpOnly session cookie.

Reflex's own /_upload is public, so proof files never go through it. The drawer posts a
plain multipart form here; the file is checked and stored by services/evidence_files.py.
The form's evidence_date field (the day the proof was true) is checked by the service. A
full disk answers 507 with "nothing was saved"; a download whose file was deleted from
disk behind the app's back answers 410 "the proof file is missing on the server" (to
those who may read it; others get the 404). Both routes answer the same 404 to anyone
who may not use the evidence (anonymous, other tenants, a viewer uploading) as for a
missing one, so ids leak nothing. An upload is authorized BEFORE its body is read, and
the body is counted as it arrives (chunked included) and cut off at the limit.

Downloads are attachments under `Content-Security-Policy: sandbox`: a proof file opened
from the app can never run as a page of the app's origin, whatever its bytes are.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from compliance_app.api._body import BodyTooLarge, limited
from compliance_app.api.auth import request_actor, safe_next, same_origin
from compliance_app.services.errors import FileMissing, NotFound, ServiceError, ValidationError
from compliance_app.services.evidence_files import (
    check_upload_allowed,
    human_size,
    open_evidence_file,
    save_evidence_file,
)
from compliance_app.settings import get_settings

#: Room for the multipart envelope around the file itself.
_FORM_OVERHEAD = 64 * 1024
_NOT_FOUND = "Not found"


async def download(request: Request) -> Response:
    actor = await asyncio.to_thread(request_actor, request)
    try:
        found = await asyncio.to_thread(open_evidence_file, actor, request.path_params["evidence_id"])
    except FileMissing as exc:  # only after authorization: the caller may know the proof exists
        return Response(exc.message, status_code=exc.status_code, media_type="text/plain")
    except ServiceError:
        return _not_found()
    return FileResponse(
        found.path,
        media_type=found.content_type,
        filename=found.path.name,
        content_disposition_type="attachment",
        headers={
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
        },
    )


def _not_found() -> Response:
    return Response(_NOT_FOUND, status_code=404, media_type="text/plain")


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
    if not same_origin(request):
        return Response("Cross-site upload refused", status_code=403, media_type="text/plain")
    actor = await asyncio.to_thread(request_actor, request)
    try:
        await asyncio.to_thread(check_upload_allowed, actor, evidence_id)
    except ServiceError:
        return _not_found()  # before reading the body; missing, forbidden and anonymous alike
    limit = get_settings().upload_max_bytes
    too_large = f"The file is too large; the limit is {human_size(limit)}."
    try:
        form = await limited(request, limit + _FORM_OVERHEAD).form(max_files=1, max_fields=5)
    except BodyTooLarge:
        return _answer(None, evidence_id, 413, too_large)
    except MultiPartException:
        return _answer(None, evidence_id, 400, "The upload could not be read; send a multipart form with a file.")
    next_path = safe_next(str(form["next"])) if "next" in form else None
    upload_file = form.get("file")
    try:
        if not isinstance(upload_file, UploadFile):
            raise ValidationError("Choose a PNG, JPEG or PDF file to upload.", field="file")
        data = await upload_file.read(limit + 1)
        proven_on = form.get("evidence_date")
        stored = await asyncio.to_thread(save_evidence_file, actor, evidence_id, data, upload_file.filename or "",
                                         proven_on if isinstance(proven_on, str) else None)
    except NotFound:
        return _not_found()
    except ServiceError as exc:
        return _answer(next_path, evidence_id, exc.status_code, exc.message)
    finally:
        await form.close()
    return _answer(next_path, evidence_id, 201,
                   f"Proof file uploaded ({human_size(stored.size)}, dated {stored.evidence_date.isoformat()}).")


ROUTES = [
    Route("/api/evidence/{evidence_id:int}/file", download, methods=["GET"]),
    Route("/api/evidence/{evidence_id:int}/file", upload, methods=["POST"]),
]
