"""The app shell every signed-in page shares: sidebar navigation, header, footer.

Pages call `shell(title, *content, slug=..., user_label=...)`; organization pages pass
their state's slug var so the sidebar links stay inside that organization.
"""

from __future__ import annotations

import reflex as rx

from compliance_app import __version__
from compliance_app.components.forms import post_form
from compliance_app.state.offloop import DatabaseState

#: (label, icon, path below /o/{slug}) — one list so every page shows the same navigation.
ORG_NAV: list[tuple[str, str, str]] = [
    ("Dashboard", "layout-dashboard", ""),
    ("Audits", "list-checks", "/audits"),
    ("Integrations", "plug", "/integrations"),
    ("Checks", "shield-check", "/checks"),
    ("Risk acceptances", "shield-alert", "/risks"),
    ("Snapshots", "camera", "/snapshots"),
    ("Members", "users", "/members"),
    ("Activity", "history", "/activity"),
    ("Notifications", "bell", "/notifications"),
    ("API tokens", "key-round", "/api-tokens"),
    ("Settings", "settings", "/settings"),
    ("Billing", "credit-card", "/billing"),
]


def _nav_link(label: str, icon: str, href: rx.Var | str, exact: bool = False) -> rx.Component:
    """A navigation entry, highlighted (and aria-current) while the page is at or below it."""
    path = rx.State.router.url.path
    target = rx.Var.create(href) if isinstance(href, str) else href
    active = (path == target) if exact else ((path == target) | path.startswith(target + "/"))
    return rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(label, size="2"), spacing="2", align="center"),
        href=href,
        underline="none",
        color_scheme=rx.cond(active, "indigo", "gray"),
        high_contrast=True,
        weight=rx.cond(active, "bold", "regular"),
        padding_x="0.75em",
        padding_y="0.45em",
        border_radius="6px",
        width="100%",
        background=rx.cond(active, rx.color("accent", 4), "transparent"),
        _hover={"background": rx.color("accent", 3)},
        class_name=rx.cond(active, "nav-link nav-active", "nav-link"),
        custom_attrs={"aria-current": rx.cond(active, "page", "false")},
    )


def _nav_links(slug: rx.Var | str | None) -> list[rx.Component]:
    """The organization's sections (when on an organization page) then "Organizations"."""
    links = []
    if slug is not None:
        base = "/o/" + slug if isinstance(slug, str) else rx.Var.create("/o/") + slug
        links = [_nav_link(label, icon, base + path, exact=path == "") for label, icon, path in ORG_NAV]
    return [*links, rx.spacer(), _nav_link("Organizations", "building-2", "/orgs")]


def _brand() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon("shield-check", size=22, color=rx.color("accent", 9)),
            rx.heading("compliance_app", size="4"),
            align="center",
            spacing="2",
        ),
        href="/",
        underline="none",
        color_scheme="gray",
        high_contrast=True,
    )


def sidebar(slug: rx.Var | str | None) -> rx.Component:
    """Wide screens: a fixed column. Phones and tablets get the same links in menu_drawer()."""
    return rx.vstack(
        _brand(),
        rx.divider(),
        *_nav_links(slug),
        spacing="1",
        padding="1em",
        width="230px",
        min_width="230px",
        height="100vh",
        position="sticky",
        top="0",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 2),
        display=["none", "none", "flex"],
    )


def menu_drawer(slug: rx.Var | str | None) -> rx.Component:
    """Below the sidebar's breakpoint: a menu button opening the navigation from the left."""
    return rx.box(
        rx.drawer.root(
            rx.drawer.trigger(
                rx.icon_button(rx.icon("menu", size=20), variant="ghost", size="2", aria_label="Open the menu",
                               class_name="menu-button"),
            ),
            rx.drawer.overlay(z_index="50"),
            rx.drawer.portal(
                rx.drawer.content(
                    rx.vstack(
                        rx.hstack(
                            _brand(),
                            rx.spacer(),
                            rx.drawer.close(rx.icon_button(rx.icon("x", size=18), variant="ghost",
                                                           aria_label="Close the menu")),
                            width="100%",
                            align="center",
                        ),
                        rx.divider(),
                        *_nav_links(slug),
                        spacing="1",
                        padding="1em",
                        height="100%",
                        width="100%",
                    ),
                    top="0",
                    left="0",
                    height="100%",
                    width="80vw",
                    max_width="300px",
                    z_index="51",
                    background=rx.color("gray", 2),
                    class_name="menu-drawer",
                ),
            ),
            direction="left",
        ),
        display=["block", "block", "none"],
    )


def _user_menu(user_label: rx.Var | str) -> rx.Component:
    """Who is signed in, their account page, and sign-out (a POST: a GET link could be forged)."""
    return rx.cond(
        user_label,
        rx.hstack(
            rx.hstack(rx.icon("circle-user", size=18), rx.text(user_label, size="2", color_scheme="gray"),
                      align="center", spacing="2", display=["none", "none", "flex"]),
            rx.link("Account", href="/account", size="2", data_testid="account-link"),
            post_form(
                rx.button("Sign out", type="submit", size="1", variant="soft", data_testid="sign-out"),
                action="/api/auth/logout",
                display="inline",
                margin="0",
            ),
            align="center",
            spacing="2",
        ),
    )


def header(title: str | rx.Var, user_label: rx.Var | str | None, slug: rx.Var | str | None = None) -> rx.Component:
    return rx.hstack(
        menu_drawer(slug),
        rx.heading(title, size=rx.breakpoints(initial="5", md="6")),
        rx.spacer(),
        rx.color_mode.button(size="2", variant="ghost", aria_label="Switch between light and dark"),
        _user_menu(user_label) if user_label is not None else rx.fragment(),
        align="center",
        width="100%",
        padding_bottom="1em",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def footer() -> rx.Component:
    return rx.hstack(
        rx.text(f"compliance_app v{__version__}", size="1", color_scheme="gray"),
        rx.spacer(),
        rx.link("API health", href="/api/health", size="1", color_scheme="gray"),
        width="100%",
        padding_top="2em",
    )


def database_notice() -> rx.Component:
    """Shown on every page while PostgreSQL cannot be reached (state/offloop.py retries and
    reloads the page's data when it answers again)."""
    return rx.cond(
        DatabaseState.unavailable,
        rx.callout(
            rx.cond(
                DatabaseState.gave_up,
                "The database is still unavailable. Reload the page to try again.",
                "The database is unavailable, retrying…",
            ),
            icon="database-zap",
            color_scheme="amber",
            role="alert",
            id="database-unavailable",
            width="100%",
        ),
        rx.fragment(),
    )


def shell(
    title: str | rx.Var,
    *children: rx.Component,
    slug: rx.Var | str | None = None,
    user_label: rx.Var | str | None = None,
) -> rx.Component:
    """Sidebar + header + content + footer; content scrolls, sidebar stays."""
    return rx.hstack(
        sidebar(slug),
        rx.vstack(
            header(title, user_label, slug),
            database_notice(),
            rx.box(*children, width="100%", min_width="0"),
            rx.spacer(),
            footer(),
            padding=["1em", "1.5em", "2em"],
            width="100%",
            max_width="1280px",
            # A flex item never shrinks below its content unless told: without this, one wide
            # table or chart pushes the whole page sideways on a phone.
            min_width="0",
            min_height="100vh",
            spacing="4",
        ),
        spacing="0",
        width="100%",
        align="start",
    )


def centered_card(*children: rx.Component, max_width: str = "420px") -> rx.Component:
    """Auth pages and public error pages: one card in the middle of the screen."""
    return rx.center(
        rx.card(rx.vstack(database_notice(), *children, spacing="4", width="100%"), width="100%",
                max_width=max_width, size="3"),
        min_height="100vh",
        padding="1em",
        background=rx.color("gray", 2),
    )


def empty_state(icon: str, title: str, text: str, action: rx.Component | None = None) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=36, color=rx.color("gray", 9)),
            rx.heading(title, size="4"),
            rx.text(text, color_scheme="gray", align="center"),
            action or rx.fragment(),
            align="center",
            spacing="3",
        ),
        padding="3em",
        width="100%",
        border=f"1px dashed {rx.color('gray', 6)}",
        border_radius="12px",
    )
