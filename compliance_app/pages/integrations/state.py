"""The Integrations page's state and the typed card rows it shows (built by a pure function).

Secrets never enter Reflex state: the add/edit forms are uncontrolled and their values
reach the server only as the submit event's payload, which goes straight to the service
(services/integrations.py holds the edit rules and the validation; its messages are shown
under the field they name). After saving, the form unmounts, so nothing typed stays in the
browser either. Rows show the non-secret settings and the last four characters of the
credential.
"""

from __future__ import annotations

import uuid
from typing import Any, TypedDict

import reflex as rx

from compliance_app.components.figures import PROVIDER_LABELS, iso_utc, when
from compliance_app.models import Provider
from compliance_app.services import integrations
from compliance_app.services.authz import Actor
from compliance_app.services.errors import AuthenticationRequired, ServiceError
from compliance_app.state.offloop import off_loop, run, run_network
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


def integration_view(row: integrations.IntegrationRow) -> IntegrationView:
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
        self.rows = [integration_view(r) for r in integrations.list_integrations(self._actor(), self._org_uuid())]
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
    @off_loop
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
    @off_loop
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
    @off_loop
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
    @off_loop
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
            actor: Actor = await run(self._actor)
        message = ""
        try:
            result = await run_network(integrations.test_integration, actor, integration_id)
        except ServiceError as exc:
            message = exc.message
        async with self:
            self.testing_id = ""
            self.error = message
            self._refresh()
        if not message:
            toast = rx.toast.success if result.ok else rx.toast.error
            yield toast(result.message, duration=8000)
