"""Every organization-scoped service entry point x every kind of caller: allowed or refused.

HOW TO ADD YOUR ENTRY POINT: append a `Rule` to MATRIX (name = "module.function",
`call(actor, world)` performs the call against `world.org`, `minimum` = the least role
that may do it: "viewer" | "member" | "admin" | "owner"). Set up whatever your call needs
inside `call` with `Actor.system()` (it runs once per caller kind, on a fresh world).
A service function that takes `actor` but is not scoped to an organization goes in
NON_ORG with the reason. `test_every_entry_point_has_a_rule` fails for any public
service function taking `actor` that is in neither list.

Expected outcome per caller: anonymous → AuthenticationRequired; member of another
organization → NotFound (nothing about the target leaks); role below minimum →
PermissionDenied; otherwise the call succeeds (or raises the business refusal listed in
`refusals` for that caller, e.g. the owner may not leave).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from compliance_app import services
from compliance_app.db import session_scope
from compliance_app.models import Evidence, EvidenceStatus, Organization, Role, User
from compliance_app.models.types import utcnow
from compliance_app.services import (
    api_tokens,
    audit_diff,
    audit_export,
    audit_outcome,
    billing,
    check_results,
    dashboard,
    evidence_files,
    integrations,
    landing,
    notification_settings,
    risk,
    scans,
    shares,
    snapshot_bundles,
    snapshot_signing,
    snapshots,
    snapshots_view,
    sso_domains,
)
from compliance_app.services import organizations as orgs
from compliance_app.services.authz import Actor
from compliance_app.services.errors import (
    AuthenticationRequired,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from compliance_app.settings import get_settings
from tests.conftest import free_port
from tests.dashboard.conftest import png_bytes
from tests.factories import actor_for, add_member, make_org, make_user
from tests.snapshots.factory import ensure_questions, make_completed_audit

CALLERS = ["owner", "admin", "member", "viewer", "outsider", "anonymous"]
RANK = {"viewer": 1, "member": 2, "admin": 3, "owner": 4}


@dataclass
class World:
    """One organization with a user of each kind, plus a second organization for the outsider."""

    org: Organization
    other_org: Organization
    users: dict[str, User]
    target: User  # a plain member that admin-level calls act upon
    spare: User  # an account that belongs to no organization
    extra: dict[str, Any] = field(default_factory=dict)

    def actor(self, caller: str) -> Actor:
        return Actor.anonymous() if caller == "anonymous" else actor_for(self.users[caller])


def build_world() -> World:
    owner = make_user(email="owner@example.com")
    org = make_org(owner=owner, slug="acme", name="Acme")
    users = {
        "owner": owner,
        "admin": add_member(org, make_user(email="admin@example.com"), Role.ADMIN),
        "member": add_member(org, make_user(email="member@example.com"), Role.MEMBER),
        "viewer": add_member(org, make_user(email="viewer@example.com"), Role.VIEWER),
    }
    outsider = make_user(email="outsider@example.com")
    other = make_org(owner=outsider, slug="other", name="Other")
    users["outsider"] = outsider
    target = add_member(org, make_user(email="target@example.com"), Role.MEMBER)
    return World(org=org, other_org=other, users=users, target=target, spare=make_user(email="spare@example.com"))


@dataclass(frozen=True)
class Rule:
    name: str
    call: Callable[[Actor, World], object]
    minimum: str
    refusals: dict[str, type[Exception]] = field(default_factory=dict)


def _invitation_id(w: World) -> str:
    invitation, _token = orgs.invite_member(Actor.system(), w.org.id, "invitee@example.com", "viewer")
    return str(invitation.id)


MATRIX: list[Rule] = [
    Rule("organizations.get_organization_for", lambda a, w: orgs.get_organization_for(a, w.org.slug), "viewer"),
    Rule("organizations.list_members", lambda a, w: orgs.list_members(a, w.org.id), "viewer"),
    Rule(
        "organizations.leave_organization",
        lambda a, w: orgs.leave_organization(a, w.org.id),
        "viewer",
        refusals={"owner": Conflict},
    ),
    Rule(
        "organizations.update_organization",
        lambda a, w: orgs.update_organization(a, w.org.id, name="Acme Renamed", slug="acme-renamed"),
        "admin",
    ),
    Rule(
        "organizations.add_member",
        lambda a, w: orgs.add_member(a, w.org.id, w.spare.email, "viewer"),
        "admin",
    ),
    Rule(
        "organizations.change_role",
        lambda a, w: orgs.change_role(a, w.org.id, w.target.id, "viewer"),
        "admin",
    ),
    Rule("organizations.remove_member", lambda a, w: orgs.remove_member(a, w.org.id, w.target.id), "admin"),
    Rule(
        "organizations.invite_member",
        lambda a, w: orgs.invite_member(a, w.org.id, "new@example.com", "member"),
        "admin",
    ),
    Rule("organizations.list_invitations", lambda a, w: orgs.list_invitations(a, w.org.id), "admin"),
    Rule(
        "organizations.revoke_invitation",
        lambda a, w: orgs.revoke_invitation(a, w.org.id, _invitation_id(w)),
        "admin",
    ),
    Rule("organizations.list_activity", lambda a, w: orgs.list_activity(a, w.org.id), "admin"),
    Rule(
        "organizations.transfer_ownership",
        lambda a, w: orgs.transfer_ownership(a, w.org.id, w.target.id),
        "owner",
    ),
]


def _audit_id(w: World) -> str:
    return str(scans.request_scan(Actor.system(), w.org.id).id)


# Other areas' entry points (their owners keep these in step with their services).
MATRIX += [
    Rule("scans.organization_id_for_slug", lambda a, w: scans.organization_id_for_slug(a, w.org.slug), "viewer"),
    Rule("scans.list_audits", lambda a, w: scans.list_audits(a, w.org.id), "viewer"),
    Rule("scans.request_scan", lambda a, w: scans.request_scan(a, w.org.id), "member"),
    Rule("scans.start_scan", lambda a, w: (_integration_id(w), scans.start_scan(a, w.org.id)), "member"),
    Rule("landing.remember_organization", lambda a, w: landing.remember_organization(a, w.org.id), "viewer"),
    Rule("landing.enter_organization", lambda a, w: landing.enter_organization(a, w.org.slug), "viewer"),
    Rule("audit_outcome.get_audit_scope", lambda a, w: audit_outcome.get_audit_scope(a, _audit_id(w)), "viewer"),
    Rule("scans.get_audit", lambda a, w: scans.get_audit(a, _audit_id(w)), "viewer"),
    Rule("scans.get_audit_progress", lambda a, w: scans.get_audit_progress(a, _audit_id(w)), "viewer"),
    Rule("scans.list_evidence", lambda a, w: scans.list_evidence(a, _audit_id(w)), "viewer"),
    Rule("check_results.list_check_results", lambda a, w: check_results.list_check_results(a, _audit_id(w)),
         "viewer"),
    Rule("check_results.list_check_resources",
         lambda a, w: check_results.list_check_resources(a, _audit_id(w), "any_check"), "viewer"),
    Rule("audit_export.export_audit", lambda a, w: audit_export.export_audit(a, _audit_id(w), "csv"), "viewer"),
    Rule("dashboard.dashboard_summary", lambda a, w: dashboard.dashboard_summary(a, w.org.id), "viewer"),
    Rule("dashboard.score_trend", lambda a, w: dashboard.score_trend(a, w.org.id), "viewer"),
    Rule("dashboard.list_audit_rows", lambda a, w: dashboard.list_audit_rows(a, w.org.id), "viewer"),
    Rule("dashboard.audit_overview", lambda a, w: dashboard.audit_overview(a, _audit_id(w)), "viewer"),
    Rule("dashboard.dashboard_page", lambda a, w: dashboard.dashboard_page(a, w.org.id), "viewer"),
    Rule("dashboard.audit_header", lambda a, w: dashboard.audit_header(a, _audit_id(w)), "viewer"),
    Rule("dashboard.audit_page", lambda a, w: dashboard.audit_page(a, _audit_id(w)), "viewer"),
    Rule("risk.list_risk_acceptances", lambda a, w: risk.list_risk_acceptances(a, w.org.id), "viewer"),
    Rule("snapshots.list_snapshots", lambda a, w: snapshots.list_snapshots(a, w.org.id), "viewer"),
    Rule("shares.list_links", lambda a, w: shares.list_links(a, w.org.id), "admin"),
    Rule("billing.get_billing_overview", lambda a, w: billing.get_billing_overview(a, w.org.id), "admin"),
    Rule("billing.set_scan_frequency", lambda a, w: billing.set_scan_frequency(a, w.org.id, "daily"), "admin"),
    Rule(
        "billing.start_checkout",
        lambda a, w: billing.start_checkout(a, w.org.id),
        "admin",
        refusals={"owner": billing.BillingNotConfigured, "admin": billing.BillingNotConfigured},
    ),
    Rule(
        "billing.open_portal",
        lambda a, w: billing.open_portal(a, w.org.id),
        "admin",
        refusals={"owner": billing.BillingNotConfigured, "admin": billing.BillingNotConfigured},
    ),
]

# --- evidence, snapshots, shares, risk, integrations ---------------------------------------
# Setup helpers run as the system and memoize in world.extra (one completed audit per world).

def _completed_audit(w: World) -> str:
    if "audit" not in w.extra:
        w.extra["audit"] = str(make_completed_audit(w.org).id)
    return w.extra["audit"]


def _evidence_id(w: World, status: EvidenceStatus = EvidenceStatus.FAIL) -> int:
    audit_id = _completed_audit(w)
    with session_scope() as s:
        return s.exec(
            select(Evidence.id).where(Evidence.audit_id == audit_id, Evidence.status == status)
        ).first()


def _evidence_with_file(w: World) -> int:
    evidence_id = _evidence_id(w)
    evidence_files.save_evidence_file(Actor.system(), evidence_id, png_bytes(), "proof.png")
    return evidence_id


def _snapshot_id(w: World) -> int:
    return snapshots.create_snapshot(Actor.system(), _completed_audit(w)).id


def _link_id(w: World) -> str:
    info, _token = shares.create_link(Actor.system(), _snapshot_id(w), label="auditor")
    return str(info.id)


def _exception_id(w: World) -> str:
    ensure_questions()
    exception = risk.accept_risk(
        Actor.system(), w.org.id, "github_org_2fa_required", "Compensating control", utcnow() + timedelta(days=30)
    )
    return str(exception.id)


def _dead_endpoint() -> str:
    """A loopback port nobody listens on: connection tests fail fast and never leave the machine."""
    return f"http://127.0.0.1:{free_port()}"


def _add_github(a: Actor, w: World) -> integrations.IntegrationRow:
    return integrations.add_github_integration(a, w.org.id, "ghp_matrixToken0001", "acme-gh", _dead_endpoint())


def _add_aws(a: Actor, w: World) -> integrations.IntegrationRow:
    return integrations.add_aws_integration(
        a, w.org.id, access_key_id="AKIAMATRIXTEST00001", secret_access_key="matrix/secret/key/0000000000000",
        regions="us-east-1", endpoint_url=_dead_endpoint(),
    )


def _integration_id(w: World) -> str:
    return str(_add_github(Actor.system(), w).id)


def _future() -> Any:
    return utcnow() + timedelta(days=30)


MATRIX += [
    Rule("dashboard.get_evidence_detail", lambda a, w: dashboard.get_evidence_detail(a, _evidence_id(w)), "viewer"),
    Rule(
        "evidence_files.save_evidence_file",
        lambda a, w: evidence_files.save_evidence_file(a, _evidence_id(w), png_bytes(), "proof.png"),
        "member",
    ),
    Rule(
        "evidence_files.check_upload_allowed",
        lambda a, w: evidence_files.check_upload_allowed(a, _evidence_id(w)),
        "member",
    ),
    Rule(
        "evidence_files.open_evidence_file",
        lambda a, w: evidence_files.open_evidence_file(a, _evidence_with_file(w)),
        "viewer",
    ),
    Rule("integrations.list_integrations", lambda a, w: integrations.list_integrations(a, w.org.id), "viewer"),
    Rule("integrations.server_role_external_id",
         lambda a, w: integrations.server_role_external_id(a, w.org.id), "viewer"),
    Rule("integrations.add_github_integration", _add_github, "admin"),
    Rule("integrations.add_aws_integration", _add_aws, "admin"),
    Rule(
        "integrations.update_integration",
        lambda a, w: integrations.update_integration(a, _integration_id(w), name="GitHub renamed"),
        "admin",
    ),
    Rule(
        "integrations.remove_integration",
        lambda a, w: integrations.remove_integration(a, _integration_id(w)),
        "admin",
    ),
    Rule("integrations.test_integration", lambda a, w: integrations.test_integration(a, _integration_id(w)), "admin"),
    Rule(
        "integrations.test_all_integrations",
        lambda a, w: (_integration_id(w), integrations.test_all_integrations(a, w.org.id)),
        "admin",
    ),
    Rule(
        "risk.accept_risk",
        lambda a, w: (ensure_questions(), risk.accept_risk(a, w.org.id, "aws_iam_root_mfa", "Offline", _future())),
        "admin",
    ),
    Rule(
        "risk.accept_risk_for_evidence",
        lambda a, w: risk.accept_risk_for_evidence(a, _evidence_id(w), "Compensating control", _future()),
        "admin",
    ),
    Rule("risk.revoke_risk", lambda a, w: risk.revoke_risk(a, _exception_id(w)), "admin"),
    Rule("snapshots.create_snapshot", lambda a, w: snapshots.create_snapshot(a, _completed_audit(w)), "member"),
    Rule(
        "snapshots.latest_completed_audit",
        lambda a, w: (_completed_audit(w), snapshots.latest_completed_audit(a, w.org.id)),
        "viewer",
    ),
    Rule("snapshots.get_snapshot", lambda a, w: snapshots.get_snapshot(a, _snapshot_id(w)), "viewer"),
    Rule("snapshots.verify_snapshot", lambda a, w: snapshots.verify_snapshot(a, _snapshot_id(w)), "viewer"),
    Rule("snapshots.set_pinned", lambda a, w: snapshots.set_pinned(a, _snapshot_id(w), True), "admin"),
    Rule("snapshot_bundles.export_bundle", lambda a, w: snapshot_bundles.export_bundle(a, _snapshot_id(w)),
         "viewer"),
    Rule("snapshot_signing.chain_overview",
         lambda a, w: snapshot_signing.chain_overview(a, w.org.id, [_snapshot_id(w)]), "viewer"),
    Rule("snapshots_view.snapshots_view", lambda a, w: snapshots_view.snapshots_view(a, w.org.id), "viewer"),
    Rule("shares.create_link", lambda a, w: shares.create_link(a, _snapshot_id(w), label="auditor"), "admin"),
    Rule("shares.revoke_link", lambda a, w: shares.revoke_link(a, _link_id(w)), "admin"),
]

# --- changes since the last scan ---------------------------------------------------------
MATRIX += [
    Rule("audit_diff.get_audit_changes", lambda a, w: audit_diff.get_audit_changes(a, _completed_audit(w)),
         "viewer"),
    Rule("audit_diff.compare_audits",
         lambda a, w: audit_diff.compare_audits(a, _completed_audit(w), _completed_audit(w)), "viewer"),
    Rule("audit_diff.latest_changes", lambda a, w: audit_diff.latest_changes(a, w.org.id), "viewer"),
    Rule("notification_settings.get_notification_settings",
         lambda a, w: notification_settings.get_notification_settings(a, w.org.id), "admin"),
    Rule("notification_settings.update_notification_settings",
         lambda a, w: notification_settings.update_notification_settings(a, w.org.id, extra_recipients="a@b.test"),
         "admin"),
    Rule("notification_settings.set_my_subscription",
         lambda a, w: notification_settings.set_my_subscription(a, w.org.id, True), "viewer"),
    Rule("notification_settings.is_subscribed", lambda a, w: notification_settings.is_subscribed(a, w.org.id),
         "viewer"),
    Rule("notification_settings.list_notification_log",
         lambda a, w: notification_settings.list_notification_log(a, w.org.id), "admin"),
    # email is not configured in this suite and there is no webhook: allowed callers hear so
    Rule("notification_settings.send_test_notification",
         lambda a, w: notification_settings.send_test_notification(a, w.org.id), "admin",
         refusals={"owner": ValidationError, "admin": ValidationError}),
]


# --- API tokens ------------------------------------------------------------------------------
def _api_token_id(w: World) -> str:
    return str(api_tokens.create_token(Actor.system(), w.org.slug, "matrix CI", "read")[0].id)


MATRIX += [
    Rule("api_tokens.create_token", lambda a, w: api_tokens.create_token(a, w.org.slug, "CI", "scan"), "admin"),
    Rule("api_tokens.list_tokens", lambda a, w: api_tokens.list_tokens(a, w.org.slug), "admin"),
    Rule("api_tokens.revoke_token", lambda a, w: api_tokens.revoke_token(a, _api_token_id(w)), "admin"),
]


def _domain_rule_id(w: World) -> str:
    return str(sso_domains.add_domain_rule(Actor.system(), w.org.id, "matrix.example", "viewer").id)


MATRIX += [
    Rule("sso_domains.get_sso_settings", lambda a, w: sso_domains.get_sso_settings(a, w.org.id), "admin"),
    # Admins may claim their own email's domain (every caller here is @example.com).
    Rule("sso_domains.add_domain_rule",
         lambda a, w: sso_domains.add_domain_rule(a, w.org.id, "example.com", "member"), "admin"),
    Rule("sso_domains.remove_domain_rule",
         lambda a, w: sso_domains.remove_domain_rule(a, w.org.id, _domain_rule_id(w)), "admin"),
    Rule("sso_domains.set_require_sso", lambda a, w: sso_domains.set_require_sso(a, w.org.id, False), "admin"),
]  # fmt: skip


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Proof files written by the evidence rules land in this test's own folder."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


#: Functions taking `actor` that are not scoped to one organization, and why.
NON_ORG: dict[str, str] = {
    "landing.landing_path": "the caller's own memberships and preference",
    "accounts.change_password": "acts on the caller's own account",
    "accounts.get_user": "the caller's own account",
    "accounts.logout_everywhere": "the caller's own sessions",
    "accounts.list_sessions": "the caller's own sessions",
    "organizations.create_organization": "creates a new organization; any signed-in user may",
    "organizations.list_my_organizations": "only the caller's own memberships",
    "organizations.accept_invitation": "authorized by the invitation token and the invited email",
    "overview.list_organization_summaries": "only the organizations the caller belongs to",
    "api_tokens.token_organizations": "an API token's own organization; people are refused (tests/api)",
}


def expected(rule: Rule, caller: str) -> type[Exception] | None:
    if caller == "anonymous":
        return AuthenticationRequired
    if caller == "outsider":
        return NotFound
    if RANK[caller] < RANK[rule.minimum]:
        return PermissionDenied
    return rule.refusals.get(caller)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("rule", MATRIX, ids=lambda r: r.name)
def test_matrix(db: str, rule: Rule, caller: str) -> None:
    world = build_world()
    outcome = expected(rule, caller)
    if outcome is None:
        rule.call(world.actor(caller), world)
    else:
        with pytest.raises(outcome) as info:
            rule.call(world.actor(caller), world)
        assert type(info.value) is outcome, f"{rule.name} as {caller}: {info.value!r}"
        assert str(info.value).strip(), "refusals carry a message for the user"


def service_entry_points() -> set[str]:
    """Public functions of services/ modules that take an `actor` (helpers taking a session excluded)."""
    found = set()
    for info in pkgutil.iter_modules(services.__path__):
        module = importlib.import_module(f"{services.__name__}.{info.name}")
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                continue
            params = list(inspect.signature(fn).parameters)
            if "actor" in params and params[0] not in {"s", "session"}:
                found.add(f"{info.name}.{name}")
    return found


def test_every_entry_point_has_a_rule() -> None:
    covered = {rule.name for rule in MATRIX} | set(NON_ORG)
    missing = sorted(service_entry_points() - covered)
    assert not missing, f"service entry points without a permission rule (add them to MATRIX): {missing}"


def test_matrix_names_are_real_functions() -> None:
    stale = sorted(({rule.name for rule in MATRIX} | set(NON_ORG)) - service_entry_points())
    assert not stale, f"MATRIX/NON_ORG name functions that do not exist (or take no actor): {stale}"


def test_matrix_has_no_duplicates() -> None:
    names = [rule.name for rule in MATRIX]
    assert len(names) == len(set(names))
