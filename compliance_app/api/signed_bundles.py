"""The installation's public signing keys and the signed bundle behind a share link.

`GET /api/public/keys` lists every key snapshots were ever signed with (key id = SHA-256
of the raw public key), so an auditor can tell a bundle's key is this installation's.
`GET /api/public/bundles/{token}` is the share page's "Download signed bundle": the same
404 as the other public downloads for any token that does not open a live link.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from compliance_app.api.public import PRIVATE_HEADERS, _not_found
from compliance_app.services.errors import NotFound, ValidationError
from compliance_app.services.signing import list_public_keys
from compliance_app.services.snapshot_bundles import public_bundle


async def public_keys(_request: Request) -> Response:
    keys = await run_in_threadpool(list_public_keys)
    return JSONResponse({"keys": [k.as_dict() for k in keys]}, headers={"Cache-Control": "no-cache"})


async def share_bundle(request: Request) -> Response:
    try:
        bundle = await run_in_threadpool(public_bundle, request.path_params["token"])
    except NotFound:
        return _not_found()
    except ValidationError as exc:  # a snapshot taken before signing: nothing to bundle
        return JSONResponse({"error": str(exc)}, status_code=409, headers=PRIVATE_HEADERS)
    return Response(
        bundle.to_bytes(),
        media_type="application/json",
        headers={**PRIVATE_HEADERS, "Content-Disposition": f'attachment; filename="{bundle.file_name}"'},
    )


ROUTES = [
    Route("/api/public/keys", public_keys, methods=["GET"]),
    Route("/api/public/bundles/{token}", share_bundle, methods=["GET"]),
]
