"""The frame of every /o/{slug}/… page: app shell, organization switcher, not-found guard, and
the `org_page` decorator that registers such a page with its route and title."""

from __future__ import annotations

import functools
from collections.abc import Callable

import reflex as rx
from reflex.event import EventType

from compliance_app.components.layout import centered_card, shell
from compliance_app.state.org import OrgState


def org_switcher() -> rx.Component:
    """Lists the user's organizations; choosing one keeps the current section."""
    return rx.select.root(
        rx.select.trigger(placeholder="Organization", variant="soft"),
        rx.select.content(
            rx.foreach(
                OrgState.organizations,
                lambda o: rx.select.item(o["name"], value=o["slug"]),
            )
        ),
        value=OrgState.org_slug,
        on_change=OrgState.switch_org,
        size="2",
    )


def not_found() -> rx.Component:
    return centered_card(
        rx.heading("Organization not found", size="5"),
        rx.text("It does not exist, or you are not a member of it.", color_scheme="gray"),
        rx.link("Your organizations", href="/orgs"),
    )


def org_shell(title: str, *children: rx.Component) -> rx.Component:
    """Shell for organization pages; non-members see only "not found"."""
    return rx.cond(
        OrgState.org_found,
        shell(
            title,
            rx.hstack(
                org_switcher(),
                rx.badge(OrgState.role, variant="soft"),
                align="center",
                spacing="3",
                padding_bottom="1em",
            ),
            *children,
            slug=OrgState.org_slug,
            user_label=OrgState.user_email,
        ),
        not_found(),
    )


ORG_ROUTE = "/o/[slug]"
APP_NAME = "compliance_app"


def org_page(
    path: str, title: str, on_load: EventType[()] | None = None
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Registers an organization page: its route under /o/[slug] (`path` "" for the dashboard),
    the browser title "<title> · compliance_app", and the shared frame (org_shell, headed by
    `title`) around what the view returns, so the organization pages do not each repeat them."""

    def register(view: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
        @functools.wraps(view)
        def page() -> rx.Component:
            return org_shell(title, view())

        return rx.page(route=ORG_ROUTE + path, title=f"{title} · {APP_NAME}", on_load=on_load)(page)

    return register
