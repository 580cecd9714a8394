"""Every service entry point, called by another tenant with organization A's ids.

tests/accounts/test_permission_matrix.py checks the role matrix (who of A's members may do
what) with hand-written calls. This file is its cross-tenant complement and is generated:
it finds every public function in compliance_app/services whose first parameter is
`actor`, builds the arguments from ARGS (keyed by parameter name, values of organization
A), calls it as a member of organization B and as an anonymous caller, and requires
NotFound (AuthenticationRequired for anonymous) with no row anywhere changed. A new entry
point fails `test_every_entry_point_is_classified` until it is listed in TENANT_SCOPED or
NOT_TENANT_SCOPED, and a new parameter name fails until ARGS knows it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from compliance_app import services
from compliance_app.models.types import utcnow
from compliance_app.services.errors import AuthenticationRequired, NotFound, ServiceError
from tests.security.conftest import ORG_A_NAME, RESOURCE_A, World, png_bytes, table_dump

#: Parameter name -> organization A's value (or a harmless valid value for plain inputs).
ARGS: dict[str, Callable[[World], Any]] = {
    "organization_id": lambda w: w.org_a.id,
    "org_id": lambda w: w.org_a.id,
    "org": lambda w: w.org_a.id,
    "slug": lambda w: w.org_a.slug,
    "audit_id": lambda w: w.audit_a,
    "evidence_id": lambda w: w.evidence_a,
    "snapshot_id": lambda w: w.snapshot_a,
    "snapshot_ids": lambda w: [w.snapshot_a],
    "link_id": lambda w: w.link_a,
    "integration_id": lambda w: w.integration_a,
    "exception_id": lambda w: w.exception_a,
    "invitation_id": lambda w: w.invitation_a,
    "user_id": lambda w: w.viewer_a.id,
    "new_owner_id": lambda w: w.viewer_a.id,
    "email": lambda w: "eve@wombat.example",
    "role": lambda w: "admin",
    "name": lambda w: "Taken over",
    "question": lambda w: "isolation_resource_check",
    "question_key": lambda w: "isolation_resource_check",
    "reason": lambda w: "accepted by an outsider",
    "expires_at": lambda w: utcnow() + timedelta(days=7),
    "resource_id": lambda w: RESOURCE_A,
    "data": lambda w: png_bytes(),
    "filename": lambda w: "x.png",
    "pinned": lambda w: True,
    "frequency": lambda w: "weekly",
    "token": lambda w: "ghp_outsiderToken00000001",
    "github_org": lambda w: "wombat-gh",
    "access_key_id": lambda w: "AKIAOUTSIDER0000001",
    "secret_access_key": lambda w: "outsider/secret/key/000000000000000000",
    "expires_in": lambda w: timedelta(days=1),
    "base_id": lambda w: w.audit_a,
    "subscribed": lambda w: True,
    "scope": lambda w: "admin",
    "token_id": lambda w: w.api_token_a,
    "fmt": lambda w: "csv",
    "domain": lambda w: "wombat.example",
    "rule_id": lambda w: uuid.uuid4(),
    "required": lambda w: True,
}

#: Optional parameters (or **changes) to pass too, so that input validation passes and the
#: call reaches its authorization (a ValidationError would hide what the test is after).
EXTRA: dict[str, tuple[str, ...]] = {
    "integrations.update_integration": ("name",),
    "integrations.add_aws_integration": ("access_key_id", "secret_access_key"),
    "organizations.update_organization": ("name",),
    "risk.accept_risk": ("resource_id",),
}

#: Entry points that reach one organization's data: B's member must get NotFound.
TENANT_SCOPED = {
    "billing.get_billing_overview", "billing.start_checkout", "billing.open_portal",
    "billing.set_scan_frequency",
    "check_results.list_check_results", "check_results.list_check_resources", "audit_export.export_audit",
    "dashboard.dashboard_summary", "dashboard.score_trend", "dashboard.list_audit_rows",
    "dashboard.audit_overview", "dashboard.get_evidence_detail", "dashboard.dashboard_page", "dashboard.audit_header",
    "dashboard.audit_page",
    "evidence_files.save_evidence_file", "evidence_files.open_evidence_file", "evidence_files.check_upload_allowed",
    "integrations.add_github_integration", "integrations.add_aws_integration",
    "integrations.update_integration", "integrations.remove_integration", "integrations.list_integrations",
    "integrations.test_integration", "integrations.test_all_integrations", "integrations.server_role_external_id",
    "organizations.get_organization_for", "organizations.update_organization", "organizations.list_members",
    "organizations.add_member", "organizations.change_role", "organizations.remove_member",
    "organizations.leave_organization", "organizations.transfer_ownership", "organizations.invite_member",
    "organizations.list_invitations", "organizations.revoke_invitation", "organizations.list_activity",
    "risk.accept_risk", "risk.accept_risk_for_evidence", "risk.revoke_risk", "risk.list_risk_acceptances",
    "scans.organization_id_for_slug", "scans.request_scan", "scans.start_scan", "scans.list_audits", "scans.get_audit",
    "landing.remember_organization", "landing.enter_organization", "audit_outcome.get_audit_scope",
    "scans.get_audit_progress", "scans.list_evidence",
    "shares.create_link", "shares.revoke_link", "shares.list_links",
    "snapshots.create_snapshot", "snapshots.latest_completed_audit", "snapshots.get_snapshot",
    "snapshots.list_snapshots", "snapshots.verify_snapshot", "snapshots.set_pinned",
    "snapshot_bundles.export_bundle", "snapshot_signing.chain_overview", "snapshots_view.snapshots_view",
    "audit_diff.get_audit_changes", "audit_diff.compare_audits", "audit_diff.latest_changes",
    "notification_settings.get_notification_settings", "notification_settings.update_notification_settings",
    "notification_settings.set_my_subscription", "notification_settings.is_subscribed",
    "notification_settings.list_notification_log", "notification_settings.send_test_notification",
    "api_tokens.create_token", "api_tokens.list_tokens", "api_tokens.revoke_token",
    "sso_domains.get_sso_settings", "sso_domains.add_domain_rule", "sso_domains.remove_domain_rule",
    "sso_domains.set_require_sso",
}

#: Entry points not scoped to one organization, and why B's member cannot reach A through them.
NOT_TENANT_SCOPED = {
    "landing.landing_path": "the caller's own memberships and preference (tests/first_hour)",
    "accounts.get_user": "the caller's own account",
    "accounts.logout_everywhere": "the caller's own sessions",
    "accounts.list_sessions": "the caller's own sessions (checked in tests/accounts)",
    "accounts.change_password": "the caller's own account",
    "organizations.create_organization": "creates a new organization owned by the caller",
    "organizations.list_my_organizations": "the caller's memberships only (checked below)",
    "overview.list_organization_summaries": "the caller's memberships only (checked below)",
    "organizations.accept_invitation": "needs the token AND the invited email (checked below)",
    "api_tokens.token_organizations": "an API token's own organization only; people get AuthenticationRequired "
    "(tests/api)",
}


def entry_points() -> dict[str, Callable[..., Any]]:
    found = {}
    for info in pkgutil.iter_modules(services.__path__):
        module = importlib.import_module(f"{services.__name__}.{info.name}")
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                continue
            params = list(inspect.signature(fn).parameters)
            if params and params[0] == "actor":
                found[f"{info.name}.{name}"] = fn
    return found


def arguments(name: str, fn: Callable[..., Any], world: World) -> dict[str, Any]:
    """Required parameters from ARGS, plus EXTRA; optional ones keep their defaults."""
    kwargs: dict[str, Any] = {}
    for param in list(inspect.signature(fn).parameters.values())[1:]:
        if param.kind is param.VAR_KEYWORD or param.default is not param.empty:
            continue
        assert param.name in ARGS, f"{name}: parameter '{param.name}' has no value in ARGS"
        kwargs[param.name] = ARGS[param.name](world)
    extra = {key: ARGS[key](world) for key in EXTRA.get(name, {})}
    return {**kwargs, **extra}


def test_every_entry_point_is_classified() -> None:
    found = set(entry_points())
    unknown = sorted(found - TENANT_SCOPED - set(NOT_TENANT_SCOPED))
    stale = sorted((TENANT_SCOPED | set(NOT_TENANT_SCOPED)) - found)
    assert not unknown, f"service entry points not classified for tenant isolation: {unknown}"
    assert not stale, f"classified names that are no longer entry points: {stale}"
    assert not TENANT_SCOPED & set(NOT_TENANT_SCOPED)


def _outcome(fn: Callable[..., Any], actor: Any, kwargs: dict[str, Any]) -> BaseException | None:
    """The exception the call raised (any kind, so crashes are reported too), or None."""
    try:
        fn(actor, **kwargs)
    except Exception as exc:
        return exc
    return None


def test_other_tenant_and_anonymous_get_nothing_from_any_entry_point(world: World) -> None:
    functions = entry_points()
    before = table_dump()
    secret_words = [ORG_A_NAME, RESOURCE_A, world.admin_a.email, world.viewer_a.email]
    problems = []
    checked = 0
    for name in sorted(TENANT_SCOPED & set(functions)):
        fn = functions[name]
        kwargs = arguments(name, fn, world)
        for role, allowed in (("outsider", (NotFound,)), ("anonymous", (AuthenticationRequired, NotFound))):
            outcome = _outcome(fn, world.actor(role), kwargs)
            if type(outcome) not in allowed:
                problems.append(f"{name} as {role}: {outcome!r}, expected {[c.__name__ for c in allowed]}")
            elif leaked := [w for w in secret_words if w in str(outcome)]:
                problems.append(f"{name} as {role}: the refusal names {leaked}")
            checked += 1
    assert checked >= 2 * len(TENANT_SCOPED & set(functions))
    assert not problems, "\n".join(problems)
    assert table_dump() == before, "a refused call changed the database"


def test_membership_scoped_entry_points_show_only_the_callers_organizations(world: World) -> None:
    from compliance_app.services import organizations, overview

    outsider = world.actor("outsider")
    mine = organizations.list_my_organizations(outsider)
    assert [o["slug"] for o in mine] == [world.org_b.slug]
    summaries = overview.list_organization_summaries(outsider)
    assert ORG_A_NAME not in repr(summaries) and world.org_b.name in repr(summaries)


def test_an_invitation_token_does_not_work_for_another_account(world: World) -> None:
    from compliance_app.services import organizations

    before = table_dump()
    with pytest.raises(ServiceError) as info:
        organizations.accept_invitation(world.actor("outsider"), world.invitation_token_a)
    assert ORG_A_NAME not in str(info.value)
    assert table_dump() == before
    assert [o["slug"] for o in organizations.list_my_organizations(world.actor("outsider"))] == [world.org_b.slug]


#: Parameters that name one object of a tenant (as opposed to the organization itself).
OBJECT_PARAMS = {"audit_id", "evidence_id", "snapshot_id", "link_id", "integration_id", "exception_id",
                 "invitation_id", "user_id", "new_owner_id", "token_id"}
ORG_PARAMS = {"organization_id", "org_id", "org"}


def test_own_organization_with_another_tenants_object_ids_gets_not_found(world: World) -> None:
    """B's owner names B (which they administer) and one of A's objects: A's object stays A's."""
    functions = entry_points()
    before = table_dump()
    owner_b = world.actor("outsider")  # the owner (admin) of organization B
    problems, checked = [], 0
    for name in sorted(TENANT_SCOPED & set(functions)):
        fn = functions[name]
        kwargs = arguments(name, fn, world)
        if not set(kwargs) & ORG_PARAMS or not set(kwargs) & OBJECT_PARAMS:
            continue  # only the organization named (tested above), or no organization parameter
        for key in set(kwargs) & ORG_PARAMS:
            kwargs[key] = world.org_b.id
        outcome = _outcome(fn, owner_b, kwargs)
        checked += 1
        if type(outcome) is not NotFound:
            problems.append(f"{name}(org B, A's ids): {outcome!r}, expected NotFound")
    assert checked, "no entry point takes an organization and an object id: the discovery broke"
    assert not problems, "\n".join(problems)
    assert table_dump() == before, "a refused call changed the database"
