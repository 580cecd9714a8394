"""Custom HTTP routes beside Reflex's own (health, public snapshots, files, webhooks).

Each module in this package defines ROUTES; `create_api()` builds a NEW Starlette app per
call because Reflex mounts it once per app instance (a shared instance breaks tests).
"""

from __future__ import annotations

import importlib
import pkgutil

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount


def collect_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        routes.extend(getattr(module, "ROUTES", []))
    return routes


def create_api() -> Starlette:
    """Routes first, then the token API under /api/v1 (a FastAPI app of its own); Reflex mounts
    its own app (pages, websocket) under this one afterwards, so the middleware also sees the page
    requests (the public share page's status)."""
    from compliance_app.api.share_page_status import DeadShareLinkStatus
    from compliance_app.api.v1 import PREFIX, create_v1_app

    return Starlette(
        routes=[*collect_routes(), Mount(PREFIX, app=create_v1_app())],
        middleware=[Middleware(DeadShareLinkStatus)],
    )
