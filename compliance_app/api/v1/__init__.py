"""/api/v1: the token-authenticated JSON API for CI pipelines, scripts and dashboards (docs/api.md).

A FastAPI sub-application mounted by `create_api()` beside the other custom routes, so Reflex's
api_transformer serves it on the app's one port. Routes only translate: the bearer token
becomes an Actor (services/api_tokens.py), each route calls services that authorize it through
authz.authorize like any person, and service errors map onto status codes here, in one place:
401 without a working token, 404 outside the token's organization, 403 for a missing scope,
429 with Retry-After past the token's rate limit.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from compliance_app.services.errors import AuthenticationRequired, RateLimited, ServiceError

PREFIX = "/api/v1"


async def _service_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    headers: dict[str, str] = {}
    if isinstance(exc, AuthenticationRequired):
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse({"detail": exc.message, "field": exc.field}, status_code=exc.status_code, headers=headers)


class NoStore:
    """API answers carry tenant data and are per token: no cache may keep them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"cache-control", b"no-store")]
            await send(message)

        await self.app(scope, receive, send_no_store if scope["type"] == "http" else send)


def create_v1_app() -> FastAPI:
    """A NEW app per call (Reflex builds the API once per app instance; tests build several)."""
    from compliance_app.api.v1.routes import router

    app = FastAPI(
        title="compliance_app API",
        version="1",
        description="Audits, evidence, checks, score trend, snapshots and scans of the organization an API "
        "token belongs to. Authenticate with `Authorization: Bearer <token>` "
        "(`python -m compliance_app token create`).",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.include_router(router)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_middleware(NoStore)
    return app
