"""Reflex configuration. Telemetry is off; REDIS_URL (when set) shares state between web processes."""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

config = rx.Config(
    app_name="compliance_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    redis_url=os.environ.get("REDIS_URL") or None,
    frontend_port=int(os.environ.get("PORT", "3000")),
    backend_host=os.environ.get("HOST", "127.0.0.1"),
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="inherit", accent_color="indigo", gray_color="slate", radius="medium")
        )
    ],
    disable_plugins=[SitemapPlugin],
)
