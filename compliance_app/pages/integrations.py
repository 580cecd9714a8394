"""/o/{slug}/integrations: connected GitHub organizations and AWS accounts.

Secrets never enter Reflex state: the add/edit forms are uncontrolled and their values
reach the server only as the submit event's payload, which goes straight to the service.
After saving, the form unmounts, so nothing typed stays in the browser either. Rows show
the non-secret settings and the last four characters of the credential. Validation lives
in services/integrations.py; its messages are shown under the field they name.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, TypedDict

import reflex as rx

from compliance_app.components.figures import PROVIDER_LABELS, iso_utc, local_time, when
from compliance_app.components.forms import callout_if, field_error, labeled
from compliance_app.components.layout import empty_state
from compliance_app.components.org_page import org_page
from compliance_app.models import Provider
from compliance_app.services import integrations
from compliance_app.services.authz import Actor
from compliance_app.services.errors import AuthenticationRequired, ServiceError
from compliance_app.state.org import OrgState

GITHUB = Provider.GITHUB.value
AWS = Provider.AWS.value
FIELDS = (
    "name", "token", "github_org", "base_url",
    "access_key_id", "secret_access_key", "role_arn", "external_id", "regions", "endpoint_url",
)
SECRET_FIELDS = ("token", "secret_access_key", "external_id")


class IntegrationView(TypedDict):
    id: str
    provider: str
    provider_label: str
    name: str
    account: str
    location: str
    secret: str
    test_status: str
    test_message: str
    tested_at: str
    tested_at_iso: str
    used_at: str
    used_at_iso: str
    used_status: str
    external_id: str


def _view(row: integrations.IntegrationRow) -> IntegrationView:
    config = row.config
    if row.provider == GITHUB:
        account = f"Organization {config.get('github_org', '')}"
        location = config.get("base_url") or "github.com"
    else:
        account = f"Role {config['role_arn']}" if config.get("role_arn") else "Access key"
        location = ", ".join(config.get("regions") or [])
        if config.get("endpoint_url"):
            location += f" · endpoint {config['endpoint_url']}"
    status = "never" if row.last_test_ok is None else ("ok" if row.last_test_ok else "failed")
    return {
        "id": str(row.id),
        "provider": row.provider,
        "provider_label": PROVIDER_LABELS.get(row.provider, row.provider),
        "name": row.name,
        "account": account,
        "location": location,
        "secret": f"••••{row.secret_hint}" if row.secret_hint else "",
        "test_status": status,
        "test_message": row.last_test_message or "",
        "tested_at": when(row.last_tested_at),
        "tested_at_iso": iso_utc(row.last_tested_at),
        "used_at": when(row.last_used_at),
        "used_at_iso": iso_utc(row.last_used_at),
        "used_status": row.last_used_status or "",
        "external_id": row.external_id or "",
    }


class IntegrationsState(OrgState):
    rows: list[IntegrationView] = []
    #: "" (closed), "github" or "aws"
    form_provider: str = ""
    #: the integration being edited, "" when adding
    editing_id: str = ""
    #: AWS authentication method shown in the form: "keys" or "role"
    aws_auth: str = "keys"
    #: non-secret values the edit form starts from
    edit_values: dict[str, str] = {}
    form_key: str = ""
    field_errors: dict[str, str] = {}
    form_error: str = ""
    error: str = ""
    notice: str = ""
    testing_id: str = ""
    #: external id of roles this server assumes with its own credentials ("" when it does not)
    server_external_id: str = ""

    def _refresh(self) -> None:
        self.rows = [_view(r) for r in integrations.list_integrations(self._actor(), self._org_uuid())]
        self.server_external_id = integrations.server_role_external_id(self._actor(), self._org_uuid()) or ""

    def _clear_errors(self) -> None:
        self.field_errors = dict.fromkeys(FIELDS, "")
        self.form_error = ""

    def _open(self, provider: str, editing_id: str = "", values: dict[str, str] | None = None) -> None:
        self.form_provider = provider
        self.editing_id = editing_id
        self.edit_values = dict.fromkeys(FIELDS, "") | (values or {})
        self.aws_auth = "role" if self.edit_values.get("role_arn") else "keys"
        self.form_key = uuid.uuid4().hex  # remount: the uncontrolled inputs start empty again
        self._clear_errors()

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        self.error = self.notice = ""
        self.form_provider = ""
        self._clear_errors()
        if (redirect := self._enter_org()) is not None or not self.org_found:
            return redirect
        self._refresh()
        if self.can_admin and not self.rows:
            self._open(GITHUB)
        return None

    @rx.event
    def start_add(self, provider: str) -> None:
        self.notice = ""
        self._open(provider if provider in PROVIDER_LABELS else GITHUB)

    @rx.event
    def start_edit(self, integration_id: str) -> None:
        self.notice = self.error = ""
        row = next(
            (r for r in integrations.list_integrations(self._actor(), self._org_uuid()) if str(r.id) == integration_id),
            None,
        )
        if row is None:
            self.error = "Integration not found."
            return
        self._open(row.provider, integration_id, integrations.edit_values(row))

    @rx.event
    def switch_provider(self, value: str | list[str]) -> None:
        self._open(value if isinstance(value, str) and value in PROVIDER_LABELS else GITHUB)

    @rx.event
    def cancel(self) -> None:
        self.form_provider = self.editing_id = ""
        self._clear_errors()

    @rx.event
    def set_aws_auth(self, value: str | list[str]) -> None:
        self.aws_auth = "role" if value == "role" else "keys"

    @rx.event
    def save(self, form: dict[str, Any]) -> rx.event.EventSpec | None:
        """Create or update from the submitted form; secrets go to the service, never to state."""
        self._clear_errors()
        self.notice = self.error = ""
        provider = self.form_provider
        args = integrations.form_changes(provider, form, editing=bool(self.editing_id),
                                         aws_role=self.aws_auth == "role")
        try:
            if self.editing_id:
                integrations.update_integration(self._actor(), self.editing_id, **args)
            elif provider == GITHUB:
                integrations.add_github_integration(self._actor(), self._org_uuid(), **args)
            else:
                integrations.add_aws_integration(self._actor(), self._org_uuid(), **args)
        except AuthenticationRequired:
            return self._login_redirect()
        except ServiceError as exc:
            if exc.field in self.field_errors:
                self.field_errors[exc.field] = exc.message
            else:
                self.form_error = exc.message
            return None
        self.notice = (
            "Integration saved. The previous test result was cleared: test the connection again."
            if self.editing_id
            else "Integration added. Use “Test connection” to check the credentials."
        )
        self.form_provider = self.editing_id = ""
        self._refresh()
        return None

    @rx.event
    def remove(self, integration_id: str) -> rx.event.EventSpec | None:
        self.notice = self.error = ""
        try:
            integrations.remove_integration(self._actor(), integration_id)
            self.notice = "Integration removed; its stored credentials were deleted."
        except AuthenticationRequired:
            return self._login_redirect()
        except ServiceError as exc:
            self.error = exc.message
        if self.editing_id == integration_id:
            self.form_provider = self.editing_id = ""
        self._refresh()
        return None

    @rx.event(background=True)
    async def test(self, integration_id: str):
        """Provider calls can take seconds (timeouts): run them off the event loop."""
        async with self:
            if self.testing_id:
                return
            self.testing_id, self.notice, self.error = integration_id, "", ""
            actor: Actor = self._actor()
        message = ""
        try:
            result = await asyncio.to_thread(integrations.test_integration, actor, integration_id)
        except ServiceError as exc:
            message = exc.message
        async with self:
            self.testing_id = ""
            self.error = message
            self._refresh()
        if not message:
            toast = rx.toast.success if result.ok else rx.toast.error
            yield toast(result.message, duration=8000)


def _status_badge(view: rx.Var) -> rx.Component:
    return rx.match(
        view["test_status"],
        ("ok", rx.badge(rx.icon("circle-check", size=14), "Connected", color_scheme="green")),
        ("failed", rx.badge(rx.icon("circle-x", size=14), "Test failed", color_scheme="red")),
        rx.badge("Not tested", color_scheme="gray"),
    )


def _remove_button(view: rx.Var) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button("Remove", size="1", variant="soft", color_scheme="red", data_testid="integration-remove")
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Remove ", view["name"], "?"),
            rx.alert_dialog.description(
                "Its stored credentials are deleted and scans stop checking it. Past audits keep their evidence."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button("Remove", color_scheme="red", on_click=IntegrationsState.remove(view["id"]),
                              data_testid="integration-remove-confirm")
                ),
                spacing="3",
                justify="end",
                padding_top="1em",
            ),
        ),
    )


def _admin_actions(view: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.icon("plug-zap", size=14),
            "Test connection",
            size="1",
            variant="soft",
            loading=IntegrationsState.testing_id == view["id"],
            disabled=IntegrationsState.testing_id != "",
            on_click=IntegrationsState.test(view["id"]),
            data_testid="integration-test",
        ),
        rx.button("Edit", size="1", variant="soft", color_scheme="gray",
                  on_click=IntegrationsState.start_edit(view["id"]), data_testid="integration-edit"),
        _remove_button(view),
        spacing="2",
    )


def _labeled_value(label: str, *value: rx.Component | rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="1", color_scheme="gray", min_width="90px"),
        rx.text(*value, size="2"),
        spacing="2",
        align="baseline",
    )


def _integration_card(view: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.cond(view["provider"] == GITHUB, rx.icon("git-branch", size=20), rx.icon("cloud", size=20)),
                rx.heading(view["name"], size="3"),
                rx.badge(view["provider_label"], variant="outline"),
                _status_badge(view),
                rx.spacer(),
                rx.cond(IntegrationsState.can_admin, _admin_actions(view)),
                align="center",
                spacing="3",
                width="100%",
                wrap="wrap",
            ),
            _labeled_value("Account", view["account"]),
            _labeled_value(rx.cond(view["provider"] == GITHUB, "API", "Regions"), view["location"]),
            rx.cond(
                view["secret"] != "",
                _labeled_value("Credential", rx.code(view["secret"], data_testid="integration-secret")),
            ),
            rx.cond(
                view["external_id"] != "",
                _labeled_value("External ID", rx.code(view["external_id"], data_testid="integration-external-id")),
            ),
            _labeled_value(
                "Last test",
                rx.cond(
                    view["tested_at"] != "",
                    rx.text.span(local_time(view["tested_at_iso"], view["tested_at"]), " — ", view["test_message"],
                                 data_testid="test-result"),
                    "never tested",
                ),
            ),
            _labeled_value(
                "Last use",
                rx.cond(view["used_at"] != "",
                        rx.text.span(local_time(view["used_at_iso"], view["used_at"]), " — ", view["used_status"]),
                        "not used by a scan yet"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        data_testid="integration-row",
    )


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
            hint="Classic token with the repo, read:org and security_events scopes.",
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


def _form() -> rx.Component:
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


def _add_buttons() -> rx.Component:
    return rx.hstack(
        rx.button(rx.icon("git-branch", size=16), "Add GitHub", on_click=IntegrationsState.start_add(GITHUB),
                  data_testid="add-github"),
        rx.button(rx.icon("cloud", size=16), "Add AWS", variant="soft", on_click=IntegrationsState.start_add(AWS),
                  data_testid="add-aws"),
        spacing="3",
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Scans read your GitHub organizations and AWS accounts through these connections. "
            "Credentials are stored encrypted and never shown again after saving.",
            color_scheme="gray",
        ),
        callout_if(IntegrationsState.notice, icon="info", width="100%", data_testid="integrations-notice"),
        callout_if(IntegrationsState.error, icon="triangle-alert", color_scheme="red", width="100%",
                   data_testid="integrations-error"),
        rx.cond(
            IntegrationsState.rows.length() == 0,
            empty_state(
                "plug",
                "No integrations yet",
                rx.cond(
                    IntegrationsState.can_admin,
                    "Connect a GitHub organization or an AWS account below; the next scan then checks it.",
                    "An administrator of this organization can connect GitHub organizations and AWS accounts.",
                ),
            ),
        ),
        rx.cond(
            IntegrationsState.can_admin,
            rx.cond(IntegrationsState.form_provider != "", _form(), _add_buttons()),
        ),
        rx.foreach(IntegrationsState.rows, _integration_card),
        spacing="4",
        width="100%",
    )


@org_page("/integrations", "Integrations", on_load=IntegrationsState.load)
def integrations_page() -> rx.Component:
    return _content()
