"""`GET /api/audits/{audit_id}/export?format=csv|json|ocsf`: the audit page's download.

Authorized by the HttpOnly session cookie like the proof files: a member of the audit's
organization gets the file as an attachment; anyone else (anonymous, another tenant, a
missing audit) gets the same 404, so ids leak nothing. An unknown format is a 400 naming
the choices. The work runs off the event loop (the export reads every evidence row).
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from compliance_app.api.auth import request_actor
from compliance_app.services import audit_export
from compliance_app.services.errors import ServiceError, ValidationError

_PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox"}


def _export(request: Request) -> audit_export.AuditExport:
    actor = request_actor(request)
    return audit_export.export_audit(actor, request.path_params["audit_id"],
                                     request.query_params.get("format", "csv"))


async def download(request: Request) -> Response:
    try:
        exported = await asyncio.to_thread(_export, request)
    except ValidationError as exc:  # an unknown format, judged before any audit is read
        return Response(exc.message, status_code=400, media_type="text/plain")
    except ServiceError:  # anonymous, another tenant's audit and a missing one alike
        return Response("Not found", status_code=404, media_type="text/plain")
    return Response(exported.body.encode("utf-8"), media_type=exported.content_type, headers={
        **_PRIVATE, "Content-Disposition": f'attachment; filename="{exported.filename}"'})


ROUTES = [Route("/api/audits/{audit_id}/export", download, methods=["GET"])]
