"""Connected GitHub organizations and AWS accounts of an organization.

Secrets (GitHub token, AWS secret key, external id) are validated, then stored only as a
MultiFernet token (services/crypto.py) and decrypted in memory when a scan or a
connection test needs them. What leaves this module (rows, activity entries, errors) never
contains a secret: rows carry the non-secret config and the last four characters of the
main credential so people can tell credentials apart.

AWS roles assumed with this server's own credentials (AWS_USE_HOST_CREDENTIALS=true) use
the organization's server-generated external id, never one a tenant chooses, and never a
tenant's endpoint: otherwise any tenant could make the server assume another tenant's role
(the confused deputy). Such integrations carry `host_credentials: true` in their config;
ones saved before keep their stored external id until edited.

Changes need MANAGE_INTEGRATIONS (admins); listing needs READ. Provider calls (connection
tests) happen outside any database transaction so a slow endpoint never holds a row lock.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from sqlmodel import Session, select

from compliance_app import providers
from compliance_app.db import session_scope
from compliance_app.models import Integration, Organization, Provider
from compliance_app.models.types import utcnow
from compliance_app.providers import endpoints
from compliance_app.providers.base import ConnectionResult
from compliance_app.services import activity, plans
from compliance_app.services.authz import Actor, Permission, authorize, authorize_row, uuid_or_not_found
from compliance_app.services.crypto import decrypt_json, encrypt_json
from compliance_app.services.errors import Conflict, NotFound, ValidationError
from compliance_app.settings import get_settings

GITHUB_LOGIN_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
AWS_REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
AWS_ACCESS_KEY_ID_RE = re.compile(r"[A-Z0-9]{16,128}")
AWS_ROLE_ARN_RE = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")
AWS_EXTERNAL_ID_RE = re.compile(r"[\w+=,.@:/-]{2,1224}")
_MESSAGE_MAX = 1000


@dataclass
class IntegrationRow:
    """An integration as shown to people: no secret, only its last four characters."""

    id: uuid.UUID
    organization_id: uuid.UUID
    provider: str
    name: str
    config: dict[str, Any]
    secret_hint: str
    created_at: datetime
    updated_at: datetime
    last_tested_at: datetime | None
    last_test_ok: bool | None
    last_test_message: str | None
    last_used_at: datetime | None
    last_used_status: str | None
    #: The server-generated external id this integration's role is assumed with (host credentials).
    external_id: str | None = None

    @classmethod
    def of(cls, integration: Integration, organization: Organization | None = None) -> IntegrationRow:
        """`organization` (the integration's own) fills `external_id` for host-credential roles."""
        uses_server_id = organization is not None and bool(integration.config.get("host_credentials"))
        return cls(
            id=integration.id, organization_id=integration.organization_id,
            provider=str(Provider(integration.provider).value), name=integration.name,
            config=dict(integration.config), secret_hint=integration.secret_hint,
            created_at=integration.created_at, updated_at=integration.updated_at,
            last_tested_at=integration.last_tested_at, last_test_ok=integration.last_test_ok,
            last_test_message=integration.last_test_message, last_used_at=integration.last_used_at,
            last_used_status=integration.last_used_status,
            external_id=organization.aws_external_id if uses_server_id else None,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ScanTarget(NamedTuple):
    """One integration ready for a scan: `session` is None when it could not be opened."""

    integration: IntegrationRow
    session: Any
    error: str | None


# --- validation (pure; raises ValidationError before anything is written) ----------------

def _hint(secret: str) -> str:
    return secret[-4:] if len(secret) >= 8 else ""


def validate_url(value: str | None, field: str) -> str | None:
    """An http(s) URL without credentials, query or fragment; None/empty means default."""
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    label = field.replace("_", " ")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"The {label} must be an http(s) URL such as https://github.example.com/api/v3 "
                              f"(got '{value[:100]}').", field=field)
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValidationError(f"The {label} must not contain credentials, a query or a fragment.", field=field)
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValidationError(f"The {label} has an invalid port.", field=field) from None
    try:
        endpoints.check_url(value)
    except endpoints.EndpointRefused:
        raise ValidationError(f"The {label} must point to a public address: '{parts.hostname}' is a loopback, "
                              "private, link-local or reserved address (an operator can allow private endpoints "
                              "with ALLOW_PRIVATE_ENDPOINTS=true).", field=field) from None
    return value.rstrip("/")


def validate_github(token: str | None, github_org: str | None, base_url: str | None,
                    max_admins: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(config, secrets) for a GitHub integration."""
    token = (token or "").strip()
    if not token:
        raise ValidationError("The GitHub token is required.", field="token")
    if any(c.isspace() for c in token) or len(token) < 8:
        raise ValidationError("The GitHub token looks malformed (it must be one word of at least 8 "
                              "characters, e.g. ghp_…).", field="token")
    login = (github_org or "").strip()
    if not login:
        raise ValidationError("The GitHub organization login is required.", field="github_org")
    if not GITHUB_LOGIN_RE.fullmatch(login):
        raise ValidationError(f"'{login[:60]}' is not a valid GitHub organization login (letters, digits "
                              "and single hyphens, at most 39 characters).", field="github_org")
    config: dict[str, Any] = {"github_org": login}
    url = validate_url(base_url, "base_url")
    if url:
        config["base_url"] = url
    if max_admins is not None:
        if int(max_admins) < 1:
            raise ValidationError("max_admins must be at least 1.", field="max_admins")
        config["max_admins"] = int(max_admins)
    return config, {"token": token}


def parse_regions(regions: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """The AWS regions a scan is restricted to; empty (the default) means every enabled region."""
    items = (regions or "").split(",") if isinstance(regions, str | None) else list(regions)
    cleaned = list(dict.fromkeys(str(r).strip() for r in items if str(r).strip()))
    bad = [r for r in cleaned if not AWS_REGION_RE.fullmatch(r)]
    if bad:
        raise ValidationError(f"Invalid AWS region name(s): {', '.join(b[:30] for b in bad)} "
                              "(expected names like us-east-1 or eu-west-3).", field="regions")
    return cleaned


def validate_aws(access_key_id: str | None, secret_access_key: str | None, role_arn: str | None,
                 external_id: str | None, regions: str | list[str] | None,
                 endpoint_url: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(config, secrets) for an AWS integration.

    Either access keys, or access keys + a role ARN (+ external id) where the keys belong to
    the identity the role trusts: AssumeRole itself needs credentials, and the provider never
    falls back to the host's. A role without keys is accepted only when the operator opted
    in with AWS_USE_HOST_CREDENTIALS=true (the server's own identity assumes the role).
    """
    key_id = (access_key_id or "").strip()
    secret = (secret_access_key or "").strip()
    role = (role_arn or "").strip()
    ext = (external_id or "").strip()
    uses_keys = bool(key_id or secret)
    if not uses_keys and not role:
        raise ValidationError("AWS needs credentials: an access key id and secret access key (optionally with "
                              "a role ARN to assume).", field="access_key_id")
    config: dict[str, Any] = {"regions": parse_regions(regions)}
    secrets: dict[str, Any] = {}
    if uses_keys:
        if not key_id or not secret:
            missing = "secret access key" if key_id else "access key id"
            raise ValidationError(f"The AWS {missing} is missing: the access key id and the secret access key "
                                  "go together.", field="secret_access_key" if key_id else "access_key_id")
        if not AWS_ACCESS_KEY_ID_RE.fullmatch(key_id):
            raise ValidationError("The AWS access key id looks malformed (16-128 upper-case letters and "
                                  "digits, e.g. AKIA…).", field="access_key_id")
        if any(c.isspace() for c in secret):
            raise ValidationError("The AWS secret access key must not contain spaces.",
                                  field="secret_access_key")
        secrets = {"access_key_id": key_id, "secret_access_key": secret}
    if role:
        if not AWS_ROLE_ARN_RE.fullmatch(role):
            raise ValidationError(f"'{role[:120]}' is not an IAM role ARN (expected "
                                  "arn:aws:iam::123456789012:role/AuditRole).", field="role_arn")
        if not uses_keys and not get_settings().aws_use_host_credentials:
            raise ValidationError("Assuming a role needs the access key id and secret access key of the IAM "
                                  "user the role trusts (this server does not use its own AWS credentials: "
                                  "AWS_USE_HOST_CREDENTIALS is off).", field="access_key_id")
        config["role_arn"] = role
        if not uses_keys:  # this server's own credentials assume the role
            if ext:
                raise ValidationError("The external id of a role this server assumes with its own credentials is "
                                      "generated by the server (shown on the Integrations page): leave it empty "
                                      "and put that id in the role's trust policy.", field="external_id")
            if (endpoint_url or "").strip():
                raise ValidationError("A custom endpoint URL cannot be used when this server's own AWS "
                                      "credentials assume the role: leave it empty.", field="endpoint_url")
            config["host_credentials"] = True
        if ext:
            if not AWS_EXTERNAL_ID_RE.fullmatch(ext):
                raise ValidationError("The external id must be 2-1224 characters of letters, digits and "
                                      "+=,.@:/-_.", field="external_id")
            secrets["external_id"] = ext
    elif ext:
        raise ValidationError("An external id is only used with a role ARN.", field="external_id")
    url = validate_url(endpoint_url, "endpoint_url")
    if url:
        config["endpoint_url"] = url
    return config, secrets


def _aws_hint(secrets: dict[str, Any]) -> str:
    return _hint(secrets.get("access_key_id") or secrets.get("external_id") or "")


def _default_name(provider: Provider, config: dict[str, Any], secrets: dict[str, Any]) -> str:
    if provider == Provider.GITHUB:
        return f"GitHub {config['github_org']}"
    if config.get("role_arn"):
        return f"AWS {config['role_arn'].split(':')[4]} ({config['role_arn'].rsplit('/', 1)[-1]})"
    return f"AWS key …{_aws_hint(secrets)}"


def _clean_name(name: str | None) -> str | None:
    if name is None:
        return None
    name = name.strip()
    if len(name) > 200:
        raise ValidationError("The integration name must be at most 200 characters.", field="name")
    return name or None


# --- access helpers -----------------------------------------------------------------------

def _load(s: Session, actor: Actor, integration_id: uuid.UUID | str, permission: Permission) -> Integration:
    """The integration if the actor may act on it; NotFound whether missing or not visible."""
    not_found = "Integration not found."
    key = uuid_or_not_found(integration_id, not_found)
    return authorize_row(s, actor, Integration, key, permission, not_found)[0]


def _create(actor: Actor, organization_id: uuid.UUID, provider: Provider, config: dict[str, Any],
            secrets: dict[str, Any], hint: str, name: str | None) -> IntegrationRow:
    with session_scope() as s:
        access = authorize(s, actor, organization_id, Permission.MANAGE_INTEGRATIONS)
        if provider == Provider.GITHUB:
            existing = s.exec(select(Integration).where(Integration.organization_id == organization_id,
                                                        Integration.provider == provider)).all()
            same = [i for i in existing if i.config.get("github_org", "").lower() == config["github_org"].lower()
                    and i.config.get("base_url") == config.get("base_url")]
            if same:
                raise Conflict(f"GitHub organization '{config['github_org']}' is already connected.",
                               field="github_org")
        plans.check_integration_limit(s, access.organization, provider)
        integration = Integration(
            organization_id=organization_id, provider=provider,
            name=name or _default_name(provider, config, secrets), config=config,
            secret_encrypted=encrypt_json(secrets) if secrets else "", secret_hint=hint,
        )
        s.add(integration)
        s.flush()
        activity.record(s, actor, "integration.added", organization_id=organization_id,
                        target=f"integration:{integration.id}",
                        meta={"provider": provider.value, "name": integration.name})
        return IntegrationRow.of(integration, access.organization)


# --- public API ---------------------------------------------------------------------------

def add_github_integration(actor: Actor, organization_id: uuid.UUID, token: str, github_org: str,
                           base_url: str | None = None, *, name: str | None = None,
                           max_admins: int | None = None) -> IntegrationRow:
    config, secrets = validate_github(token, github_org, base_url, max_admins)
    return _create(actor, organization_id, Provider.GITHUB, config, secrets, _hint(secrets["token"]),
                   _clean_name(name))


def add_aws_integration(actor: Actor, organization_id: uuid.UUID, access_key_id: str | None = None,
                        secret_access_key: str | None = None, role_arn: str | None = None,
                        external_id: str | None = None, regions: str | list[str] | None = None,
                        endpoint_url: str | None = None, *, name: str | None = None) -> IntegrationRow:
    config, secrets = validate_aws(access_key_id, secret_access_key, role_arn, external_id, regions,
                                   endpoint_url)
    return _create(actor, organization_id, Provider.AWS, config, secrets, _aws_hint(secrets),
                   _clean_name(name))


_GITHUB_FIELDS = {"name", "token", "github_org", "base_url", "max_admins"}
_AWS_FIELDS = {"name", "access_key_id", "secret_access_key", "role_arn", "external_id", "regions",
               "endpoint_url"}


def edit_values(row: IntegrationRow) -> dict[str, str]:
    """The settings an edit form starts from: only non-secret ones, since a stored secret is never
    sent back to the browser (the form leaves secret fields blank, meaning "keep")."""
    config = row.config
    return {
        "name": row.name,
        "github_org": config.get("github_org", ""),
        "base_url": config.get("base_url", ""),
        "role_arn": config.get("role_arn", ""),
        "regions": ", ".join(config.get("regions") or []),
        "endpoint_url": config.get("endpoint_url", ""),
    }


def _typed(form: Mapping[str, Any], key: str) -> str:
    return str(form.get(key) or "").strip()


def form_changes(provider: str, form: Mapping[str, Any], *, editing: bool, aws_role: bool) -> dict[str, Any]:
    """Keyword arguments for add_*_integration / update_integration from a submitted form.

    The edit rules live here rather than in the page so every client follows the same ones:
    while editing, a blank secret (token, secret key, external id) or a blank access key id
    keeps the stored value, because the form never shows stored secrets; choosing access keys
    instead of a role clears the role and its external id. Access keys are sent in both AWS
    modes: with a role they are the identity allowed to assume it.
    """
    def secret(key: str, args: dict[str, Any]) -> None:
        if _typed(form, key) or not editing:
            args[key] = _typed(form, key)

    if provider == Provider.GITHUB.value:
        args: dict[str, Any] = {"name": _typed(form, "name"), "github_org": _typed(form, "github_org"),
                                "base_url": _typed(form, "base_url")}
        secret("token", args)
        return args
    args = {"name": _typed(form, "name"), "regions": _typed(form, "regions") or None,
            "endpoint_url": _typed(form, "endpoint_url")}
    if _typed(form, "access_key_id") or not editing:
        args["access_key_id"] = _typed(form, "access_key_id")
    secret("secret_access_key", args)
    if aws_role:
        args["role_arn"] = _typed(form, "role_arn")
        secret("external_id", args)
    elif editing:
        args["role_arn"] = args["external_id"] = None
    return args


def update_integration(actor: Actor, integration_id: uuid.UUID | str, **changes: Any) -> IntegrationRow:
    """Change some fields; omitted fields keep their value, a field set to None is cleared.

    The merged settings are validated as a whole (e.g. dropping an AWS role means clearing
    its external id too), and the previous test result is cleared since it no longer
    describes these settings.
    """
    with session_scope() as s:
        integration = _load(s, actor, integration_id, Permission.MANAGE_INTEGRATIONS)
        provider = Provider(integration.provider)
        allowed = _GITHUB_FIELDS if provider == Provider.GITHUB else _AWS_FIELDS
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise ValidationError(f"Unknown field(s) for a {provider.value} integration: {', '.join(unknown)}.")
        current = {**integration.config, **decrypt_json(integration.secret_encrypted)}
        merged = {**current, **changes}
        if (provider == Provider.AWS and "external_id" not in changes
                and not (merged.get("access_key_id") or merged.get("secret_access_key"))):
            merged.pop("external_id", None)  # host credentials: the organization's id replaces a stored one
        if provider == Provider.GITHUB:
            config, secrets = validate_github(merged.get("token"), merged.get("github_org"),
                                              merged.get("base_url"), merged.get("max_admins"))
            hint = _hint(secrets["token"])
        else:
            config, secrets = validate_aws(merged.get("access_key_id"), merged.get("secret_access_key"),
                                           merged.get("role_arn"), merged.get("external_id"),
                                           merged.get("regions"), merged.get("endpoint_url"))
            hint = _aws_hint(secrets)
        if "name" in changes:
            integration.name = _clean_name(changes["name"]) or _default_name(provider, config, secrets)
        integration.config = config
        integration.secret_encrypted = encrypt_json(secrets) if secrets else ""
        integration.secret_hint = hint
        integration.updated_at = utcnow()
        integration.last_tested_at = integration.last_test_ok = integration.last_test_message = None
        s.add(integration)
        activity.record(s, actor, "integration.updated", organization_id=integration.organization_id,
                        target=f"integration:{integration.id}",
                        meta={"provider": provider.value, "fields": sorted(changes)})
        return IntegrationRow.of(integration, s.get(Organization, integration.organization_id))


def remove_integration(actor: Actor, integration_id: uuid.UUID | str) -> None:
    with session_scope() as s:
        integration = _load(s, actor, integration_id, Permission.MANAGE_INTEGRATIONS)
        activity.record(s, actor, "integration.removed", organization_id=integration.organization_id,
                        target=f"integration:{integration.id}",
                        meta={"provider": Provider(integration.provider).value, "name": integration.name})
        s.delete(integration)


def list_integrations(actor: Actor, organization_id: uuid.UUID) -> list[IntegrationRow]:
    with session_scope() as s:
        access = authorize(s, actor, organization_id, Permission.READ)
        rows = s.exec(select(Integration).where(Integration.organization_id == organization_id)
                      .order_by(Integration.provider, Integration.created_at)).all()
        return [IntegrationRow.of(i, access.organization) for i in rows]


def server_role_external_id(actor: Actor, organization_id: uuid.UUID) -> str | None:
    """The external id a customer puts in the trust policy of a role this server assumes with
    its own credentials; None when the server does not (AWS_USE_HOST_CREDENTIALS is off)."""
    with session_scope() as s:
        access = authorize(s, actor, organization_id, Permission.READ)
        return access.organization.aws_external_id if get_settings().aws_use_host_credentials else None


HOST_ENDPOINT_REFUSED = ("A custom endpoint URL cannot be used when this server's own AWS credentials assume the "
                         "role: remove it from the integration.")


def _prepare_connection(config: dict[str, Any], secrets: dict[str, Any], organization: Organization) -> dict[str, Any]:
    """The secrets a provider session gets: host-credential roles use the organization's external id.

    Raises ValidationError, before any connection, for a role without keys that names an
    endpoint (saved before that was refused: the server would sign its own AssumeRole call
    to the tenant's host), and, saying only "Could not connect.", for a tenant-set URL whose
    host now resolves to an address tenants may not reach.
    """
    has_keys = bool(secrets.get("access_key_id") and secrets.get("secret_access_key"))
    if config.get("role_arn") and not has_keys and config.get("endpoint_url"):
        raise ValidationError(HOST_ENDPOINT_REFUSED, field="endpoint_url")
    for url in filter(None, (config.get("base_url"), config.get("endpoint_url"))):
        try:  # again at connection time: DNS answers change (the provider pins what it connects to)
            endpoints.check_url(url)
        except endpoints.EndpointRefused:
            raise ValidationError(endpoints.COULD_NOT_CONNECT) from None
    if config.get("host_credentials"):
        return {**secrets, "external_id": organization.aws_external_id}
    return secrets


def _run_test(provider: Provider, config: dict[str, Any], secrets: dict[str, Any]) -> ConnectionResult:
    try:
        return providers.test_connection(provider, config, secrets)
    except Exception as exc:  # a provider bug must still give the person an answer
        return ConnectionResult(ok=False, message=f"The connection test failed unexpectedly "
                                                  f"({type(exc).__name__}).")


def test_integration(actor: Actor, integration_id: uuid.UUID | str) -> ConnectionResult:
    """Try the stored credentials against the provider and remember the outcome."""
    with session_scope() as s:
        integration = _load(s, actor, integration_id, Permission.MANAGE_INTEGRATIONS)
        provider = Provider(integration.provider)
        config = dict(integration.config)
        try:
            secrets = _prepare_connection(config, decrypt_json(integration.secret_encrypted),
                                          s.get(Organization, integration.organization_id))
            refused = None
        except ValidationError as exc:
            refused = ConnectionResult(ok=False, message=exc.message)
    result = refused or _run_test(provider, config, secrets)
    with session_scope() as s:
        stored = s.get(Integration, integration.id)
        if stored is None:
            raise NotFound("Integration not found.")
        stored.last_tested_at = utcnow()
        stored.last_test_ok = result.ok
        stored.last_test_message = result.message[:_MESSAGE_MAX]
        s.add(stored)
        activity.record(s, actor, "integration.tested", organization_id=stored.organization_id,
                        target=f"integration:{stored.id}",
                        meta={"provider": provider.value, "ok": result.ok})
    return result


test_integration.__test__ = False  # not a pytest test when imported into a test module


def test_all_integrations(actor: Actor, organization_id: uuid.UUID) -> list[tuple[IntegrationRow,
                                                                                   ConnectionResult]]:
    """Test every integration of the organization (admins), one after the other."""
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.MANAGE_INTEGRATIONS)
    return [(row, test_integration(actor, row.id)) for row in list_integrations(actor, organization_id)]


test_all_integrations.__test__ = False


# --- system level: the scan engine --------------------------------------------------------

def load_scan_sessions(organization_id: uuid.UUID) -> list[ScanTarget]:
    """Every integration of the organization with an opened provider session.

    For the worker (no actor: it acts for the system). One integration that cannot be
    opened (undecryptable secrets, bad config) yields a ScanTarget with `error` set
    instead of stopping the others.
    """
    with session_scope() as s:
        rows = s.exec(select(Integration).where(Integration.organization_id == organization_id)
                      .order_by(Integration.provider, Integration.created_at)).all()
        organization = s.get(Organization, organization_id)
        loaded = [(IntegrationRow.of(i, organization), i.secret_encrypted) for i in rows]
    targets = []
    for row, encrypted in loaded:
        secrets: dict[str, Any] = {}
        try:
            secrets = _prepare_connection(row.config, decrypt_json(encrypted), organization)
            session = providers.open_session(row.provider, row.config, secrets)
            targets.append(ScanTarget(row, session, None))
        except Exception as exc:
            reason = getattr(exc, "reason", None) or getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            for value in secrets.values():
                if isinstance(value, str) and len(value) >= 4:
                    reason = reason.replace(value, "***")
            targets.append(ScanTarget(row, None, f"Could not open the {row.provider} integration "
                                                 f"'{row.name}': {reason}"[:_MESSAGE_MAX]))
    return targets


def mark_used(integration_id: uuid.UUID, status: str) -> None:
    """Record that a scan used the integration and how it went (e.g. 'ok', '3 checks errored')."""
    with session_scope() as s:
        integration = s.get(Integration, integration_id)
        if integration is None:  # removed while the scan ran
            return
        integration.last_used_at = utcnow()
        integration.last_used_status = status[:_MESSAGE_MAX]
        s.add(integration)
