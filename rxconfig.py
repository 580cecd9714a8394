"""Reflex configuration. Telemetry is off; REDIS_URL (when set) shares state between web processes.

CORS: Reflex's default allows every origin, with credentials, on the custom API and on the
event websocket; only the app's own origin (APP_URL) is allowed here.
"""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from compliance_app.security_headers import app_origins
from compliance_app.settings import get_settings

config = rx.Config(
    app_name="compliance_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    redis_url=os.environ.get("REDIS_URL") or None,
    cors_allowed_origins=sorted(app_origins(get_settings().app_url)),
    frontend_port=int(os.environ.get("PORT", "3000")),
    backend_host=os.environ.get("HOST", "127.0.0.1"),
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="inherit", accent_color="indigo", gray_color="slate", radius="medium")
        )
    ],
    disable_plugins=[SitemapPlugin],
)
