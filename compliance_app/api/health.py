"""GET /api/health: load balancers and `make run` poll this."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from compliance_app.db import DatabaseConfigError, check_database


async def health(_request: Request) -> JSONResponse:
    try:
        await run_in_threadpool(check_database)
    except DatabaseConfigError as exc:
        return JSONResponse({"status": "error", "database": "unavailable", "reason": str(exc)}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


ROUTES = [Route("/api/health", health, methods=["GET"])]
