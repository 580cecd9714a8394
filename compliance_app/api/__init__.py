"""Custom HTTP routes beside Reflex's own (health, public snapshots, files, webhooks).

Each module in this package defines ROUTES; `create_api()` builds a NEW Starlette app per
call because Reflex mounts it once per app instance (a shared instance breaks tests).
"""

from __future__ import annotations

import importlib
import pkgutil

from starlette.applications import Starlette
from starlette.routing import BaseRoute


def collect_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        routes.extend(getattr(module, "ROUTES", []))
    return routes


def create_api() -> Starlette:
    return Starlette(routes=collect_routes())
