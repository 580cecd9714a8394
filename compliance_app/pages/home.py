"""Home (/): the signed-in user's organizations with their latest score and audit count."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from compliance_app.components.layout import empty_state, shell
from compliance_app.services.overview import list_organization_summaries
from compliance_app.state.session import SessionState


class OrgCard(TypedDict):
    name: str
    slug: str
    role: str
    score: str
    audits: str


class HomeState(SessionState):
    cards: list[OrgCard] = []
    loaded: bool = False

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        if not self._resolve_user():
            return self._login_redirect()
        self.cards = [
            OrgCard(
                name=o.name,
                slug=o.slug,
                role=o.role,
                score="—" if o.latest_score is None else str(o.latest_score),
                audits=f"{o.audit_count} audit" + ("" if o.audit_count == 1 else "s"),
            )
            for o in list_organization_summaries(self._actor())
        ]
        self.loaded = True
        return None


def _card(card: OrgCard) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.vstack(
                    rx.heading(card["name"], size="4"),
                    rx.text(card["audits"], " · ", card["role"], size="2", color_scheme="gray"),
                    spacing="1",
                ),
                rx.spacer(),
                rx.vstack(
                    rx.text("Latest score", size="1", color_scheme="gray"),
                    rx.heading(card["score"], size="7", class_name="org-score"),
                    align="end",
                    spacing="0",
                ),
                align="center",
                width="100%",
            ),
            width="100%",
            _hover={"border_color": rx.color("accent", 8)},
        ),
        href="/o/" + card["slug"],
        underline="none",
        color_scheme="gray",
        high_contrast=True,
        width="100%",
    )


@rx.page(route="/", title="Home · compliance_app", on_load=HomeState.load)
def home() -> rx.Component:
    return shell(
        "Your organizations",
        rx.cond(
            HomeState.loaded,
            rx.cond(
                HomeState.cards.length() > 0,
                rx.vstack(
                    rx.grid(rx.foreach(HomeState.cards, _card), columns=rx.breakpoints(initial="1", md="2"),
                            spacing="4", width="100%"),
                    rx.link("Create another organization", href="/orgs", size="2"),
                    spacing="4",
                    width="100%",
                ),
                empty_state("building-2", "No organization yet",
                            "Create your organization to connect GitHub and AWS and run your first audit.",
                            rx.link(rx.button("Create organization"), href="/orgs")),
            ),
            rx.vstack(rx.skeleton(height="88px", width="100%"), rx.skeleton(height="88px", width="100%"),
                      width="100%"),
        ),
        user_label=SessionState.user_email,
    )
