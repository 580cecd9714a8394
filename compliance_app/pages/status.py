"""A tiny public page proving the frontend build works; links to health for operators."""

import reflex as rx

from compliance_app.components.layout import centered_card


@rx.page(route="/about", title="About · compliance_app")
def about() -> rx.Component:
    return centered_card(
        rx.heading("compliance_app", size="6"),
        rx.text(
            "Continuous compliance for GitHub and AWS: automated checks, evidence with proof, "
            "scores and trends, and checksummed snapshots you can share with auditors."
        ),
        rx.link("Sign in", href="/login"),
    )
