"""The add/edit form (uncontrolled: typed secrets reach the server only in the submit payload)."""

from __future__ import annotations

import reflex as rx

from compliance_app.components.forms import callout_if, field_error, labeled
from compliance_app.pages.integrations.state import AWS, GITHUB, IntegrationsState


def _field(label: str, name: str, hint: str = "", *, secret: bool = False, placeholder: str = "") -> rx.Component:
    editing = IntegrationsState.editing_id != ""
    return labeled(
        label,
        rx.input(
            name=name,
            type="password" if secret else "text",
            placeholder=rx.cond(editing, "unchanged", placeholder) if secret else placeholder,
            default_value="" if secret else IntegrationsState.edit_values[name],
            auto_complete="new-password" if secret else "off",
            width="100%",
            data_testid=f"field-{name}",
        ),
        rx.text(hint, size="1", color_scheme="gray") if hint else rx.fragment(),
        field_error(IntegrationsState.field_errors[name]),
    )


def _github_fields() -> rx.Component:
    return rx.vstack(
        _field("GitHub organization login", "github_org", placeholder="acme"),
        _field(
            "Personal access token", "token", secret=True, placeholder="ghp_…",
            hint="Classic token with the repo, read:org and security_events scopes; add admin:org and "
                 "admin:org_hook for the organization's Actions and webhook checks.",
        ),
        _field(
            "API base URL (GitHub Enterprise only)", "base_url",
            placeholder="https://github.example.com/api/v3",
            hint="Leave empty for github.com.",
        ),
        spacing="3",
        width="100%",
    )


def _aws_fields() -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.text("Authentication", size="2", weight="medium"),
            rx.segmented_control.root(
                rx.segmented_control.item("Access keys", value="keys"),
                rx.segmented_control.item("Assume a role", value="role"),
                value=IntegrationsState.aws_auth,
                on_change=IntegrationsState.set_aws_auth,
                data_testid="aws-auth",
            ),
            spacing="1",
        ),
        rx.cond(
            IntegrationsState.aws_auth == "role",
            rx.text(
                "Enter the access keys of the IAM user the role trusts: they only call sts:AssumeRole, "
                "the checks run as the role.",
                size="1", color_scheme="gray", data_testid="aws-role-keys-hint",
            ),
            rx.fragment(),
        ),
        _field("Access key ID", "access_key_id", placeholder="AKIA…",
               hint="When editing, leave empty to keep the stored key."),
        _field("Secret access key", "secret_access_key", secret=True),
        rx.cond(
            IntegrationsState.aws_auth == "role",
            rx.vstack(
                _field("Role ARN", "role_arn", placeholder="arn:aws:iam::123456789012:role/ComplianceAudit"),
                rx.cond(
                    IntegrationsState.server_external_id != "",
                    rx.text(
                        "Without access keys, this server assumes the role with its own AWS credentials and "
                        "the external ID ", rx.code(IntegrationsState.server_external_id),
                        ": the role's trust policy must require it (sts:ExternalId).",
                        size="1", data_testid="aws-server-external-id",
                    ),
                    rx.fragment(),
                ),
                _field("External ID (optional)", "external_id", secret=True,
                       hint="Only for a role assumed with the access keys above, if its trust policy "
                            "requires sts:ExternalId."),
                spacing="3",
                width="100%",
            ),
            rx.fragment(),
        ),
        _field("Regions", "regions", placeholder="us-east-1, eu-west-1", hint="Comma-separated; default us-east-1."),
        _field("Endpoint URL (optional)", "endpoint_url", placeholder="https://…",
               hint="Only for AWS-compatible endpoints or a VPC endpoint."),
        spacing="3",
        width="100%",
    )


def form() -> rx.Component:
    editing = IntegrationsState.editing_id != ""
    is_github = IntegrationsState.form_provider == GITHUB
    return rx.card(
        rx.form(
            rx.vstack(
                rx.hstack(
                    rx.heading(
                        rx.cond(editing, "Edit ", "Add "),
                        rx.cond(is_github, "GitHub integration", "AWS integration"),
                        size="4",
                    ),
                    rx.spacer(),
                    rx.cond(
                        ~editing,
                        rx.segmented_control.root(
                            rx.segmented_control.item("GitHub", value=GITHUB),
                            rx.segmented_control.item("AWS", value=AWS),
                            value=IntegrationsState.form_provider,
                            on_change=IntegrationsState.switch_provider,
                            data_testid="form-provider",
                        ),
                    ),
                    width="100%",
                    align="center",
                ),
                callout_if(IntegrationsState.form_error, icon="triangle-alert", color_scheme="red",
                           width="100%", data_testid="integration-form-error"),
                _field("Display name (optional)", "name", placeholder="Production AWS"),
                rx.cond(is_github, _github_fields(), _aws_fields()),
                rx.cond(
                    editing,
                    rx.text("Secret fields left empty keep the stored value.", size="1", color_scheme="gray"),
                ),
                rx.hstack(
                    rx.button(rx.cond(editing, "Save changes", "Add integration"), type="submit",
                              data_testid="integration-submit"),
                    rx.button("Cancel", type="button", variant="soft", color_scheme="gray",
                              on_click=IntegrationsState.cancel),
                    spacing="3",
                ),
                spacing="3",
                width="100%",
                max_width="620px",
            ),
            on_submit=IntegrationsState.save,
            key=IntegrationsState.form_key,
            width="100%",
        ),
        width="100%",
        data_testid="integration-form",
    )


def add_buttons() -> rx.Component:
    return rx.hstack(
        rx.button(rx.icon("git-branch", size=16), "Add GitHub", on_click=IntegrationsState.start_add(GITHUB),
                  data_testid="add-github"),
        rx.button(rx.icon("cloud", size=16), "Add AWS", variant="soft", on_click=IntegrationsState.start_add(AWS),
                  data_testid="add-aws"),
        spacing="3",
    )
