"""Form building blocks shared by the sign-in, sign-up, account, organization and integration forms."""

from __future__ import annotations

import reflex as rx
from reflex_components_core.el.elements.base import BaseHTML


def callout_if(text: rx.Var, **props: object) -> rx.Component:
    """A callout (a refusal, a notice) shown only while `text` is not empty."""
    return rx.cond(text != "", rx.callout(text, **props))


def message(text: rx.Var, color: str, test_id: str) -> rx.Component:
    """A form-wide message (error or notice), shown only when there is one."""
    return callout_if(text, color_scheme=color, size="1", width="100%", data_testid=test_id)


def field_error(message: rx.Var, **props: object) -> rx.Component:
    """An inline validation message under a form field."""
    return rx.cond(message != "", rx.text(message, color_scheme="red", size="2", **props))


def labeled(label: str, *controls: rx.Component) -> rx.Component:
    """A field's label above its control and whatever belongs under it (a hint, its error)."""
    return rx.vstack(rx.text(label, size="2", weight="medium"), *controls, spacing="1", width="100%")


class PostForm(BaseHTML):
    """A native <form> that really posts: Reflex's own form always prevents the default submit,
    but the cookie routes (/api/auth/…) need a full HTTP round trip to set or clear the
    HttpOnly session cookie."""

    tag = "form"
    action: rx.Var[str]
    method: rx.Var[str]


def post_form(*children: rx.Component, action: str, **props: object) -> rx.Component:
    return PostForm.create(*children, action=action, method="post", **props)


def auth_form(*fields: rx.Component, action: str, next_path: rx.Var, submit: str) -> rx.Component:
    """The sign-in/sign-up form: posts its fields and where to go next to an /api/auth route."""
    return post_form(
        rx.vstack(
            *fields,
            rx.el.input(type="hidden", name="next", value=next_path),
            rx.button(submit, type="submit", width="100%"),
            spacing="3",
            width="100%",
        ),
        action=action,
        width="100%",
    )


def email_field(default: rx.Var) -> rx.Component:
    return labeled(
        "Email",
        rx.input(
            name="email", type="email", default_value=default, required=True, auto_complete="username", width="100%"
        ),
    )


def password_field(
    label: str, name: str, auto_complete: str, *below: rx.Component, required: bool = True, **props: object
) -> rx.Component:
    """A labeled password input; `below` goes under it (its error)."""
    return labeled(
        label,
        rx.input(name=name, type="password", required=required, auto_complete=auto_complete, width="100%", **props),
        *below,
    )


def switch_link(prompt: str, label: str, href: rx.Var) -> rx.Component:
    """"No account yet? Create one" and back, keeping where the user was going."""
    return rx.text(prompt, rx.link(label, href=href), size="2")


def org_fields(
    name: rx.Var,
    set_name: rx.EventHandler,
    name_error: rx.Var,
    slug: rx.Var,
    set_slug: rx.EventHandler,
    slug_error: rx.Var,
    *,
    slug_hint: rx.Component,
    test_prefix: str,
    name_props: dict[str, object],
    slug_props: dict[str, object],
) -> list[rx.Component]:
    """An organization's name and URL slug, each with its error, as creating and settings show them."""
    return [
        labeled(
            "Name",
            rx.input(value=name, on_change=set_name, width="100%", data_testid=f"{test_prefix}-name", **name_props),
        ),
        field_error(name_error),
        labeled(
            "URL slug",
            rx.input(value=slug, on_change=set_slug, width="100%", data_testid=f"{test_prefix}-slug", **slug_props),
        ),
        slug_hint,
        field_error(slug_error),
    ]
