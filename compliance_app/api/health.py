"""GET /api/health: load balancers and `make run` poll this.

Anyone can call it, so it says only whether the database answers: the driver's error
names the host, the user and sometimes more, and goes to the server log instead.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from compliance_app.db import DatabaseConfigError, check_database

log = logging.getLogger(__name__)


async def health(_request: Request) -> JSONResponse:
    try:
        await run_in_threadpool(check_database)
    except DatabaseConfigError as exc:
        log.error("health check: %s", exc)
        return JSONResponse({"status": "error", "database": "database unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


ROUTES = [Route("/api/health", health, methods=["GET"])]
