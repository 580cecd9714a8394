"""Reflex configuration. Telemetry is off; REDIS_URL (when set) shares state between web processes.

CORS: Reflex's default allows every origin, with credentials, on the custom API and on the
event websocket; only the app's own origin (APP_URL) is allowed here.

Behind a load balancer the page must open its event websocket through the balancer, not
at this process's own port: with APP_URL set, the frontend is built to reach the backend at
APP_URL's origin (Reflex otherwise uses http://localhost:<backend port>, which a browser
elsewhere cannot reach). BIND_ADDRESS is the address this process listens on.

Pages are not prerendered at build time (REFLEX_SSR=false unless the operator sets it): every
page loads its data for the signed-in person when it mounts, so a prerendered shell adds
nothing, and the prerender step's fixed 10 s request timeout fails `reflex run --env prod`
builds on a busy machine.

Without Redis, state lives in this process's memory (Reflex's default writes every tab's state
to disk after each event: ~3 ms of CPU per event, a fifth of a dashboard load's cost under load).
What that kept across a restart is not needed here: sessions live in PostgreSQL and every page
loads its data again when its tab reconnects.
"""

import os
from urllib.parse import urlsplit

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from compliance_app.security_headers import app_origins
from compliance_app.settings import get_settings

settings = get_settings()
os.environ.setdefault("REFLEX_SSR", "false")


def _api_url() -> dict[str, str]:
    """`api_url` = APP_URL's origin when APP_URL is set; nothing (Reflex's default) otherwise."""
    explicit = os.environ.get("APP_URL", "").strip()
    if not explicit:
        return {}
    parts = urlsplit(explicit)
    return {"api_url": f"{parts.scheme}://{parts.netloc}"}


config = rx.Config(
    app_name="compliance_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    redis_url=settings.redis_url or None,
    **({} if settings.redis_url else {"state_manager_mode": rx.constants.StateManagerMode.MEMORY}),
    cors_allowed_origins=sorted(app_origins(settings.app_url)),
    frontend_port=int(os.environ.get("PORT", "3000")),
    backend_host=settings.bind_address,
    **_api_url(),
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="inherit", accent_color="indigo", gray_color="slate", radius="medium")
        )
    ],
    disable_plugins=[SitemapPlugin],
)
