"""The card every dashboard figure sits in."""

from __future__ import annotations

from typing import Any

import reflex as rx


def card(title: str, *children: rx.Component, **props: Any) -> rx.Component:
    return rx.card(
        rx.vstack(rx.text(title, size="2", weight="medium", color_scheme="gray"), *children, spacing="3",
                  width="100%", height="100%"),
        width="100%",
        **props,
    )
