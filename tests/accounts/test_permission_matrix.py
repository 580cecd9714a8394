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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from compliance_app import services
from compliance_app.models import Organization, Role, User
from compliance_app.services import billing, dashboard, risk, scans, shares, snapshots
from compliance_app.services import organizations as orgs
from compliance_app.services.authz import Actor
from compliance_app.services.errors import (
    AuthenticationRequired,
    Conflict,
    NotFound,
    PermissionDenied,
)
from tests.factories import actor_for, add_member, make_org, make_user

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
    Rule("scans.get_audit", lambda a, w: scans.get_audit(a, _audit_id(w)), "viewer"),
    Rule("scans.get_audit_progress", lambda a, w: scans.get_audit_progress(a, _audit_id(w)), "viewer"),
    Rule("scans.list_evidence", lambda a, w: scans.list_evidence(a, _audit_id(w)), "viewer"),
    Rule("dashboard.dashboard_summary", lambda a, w: dashboard.dashboard_summary(a, w.org.id), "viewer"),
    Rule("dashboard.score_trend", lambda a, w: dashboard.score_trend(a, w.org.id), "viewer"),
    Rule("dashboard.list_audit_rows", lambda a, w: dashboard.list_audit_rows(a, w.org.id), "viewer"),
    Rule("dashboard.audit_overview", lambda a, w: dashboard.audit_overview(a, _audit_id(w)), "viewer"),
    Rule("dashboard.list_audit_evidence", lambda a, w: dashboard.list_audit_evidence(a, _audit_id(w)), "viewer"),
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

#: Functions taking `actor` that are not scoped to one organization, and why.
NON_ORG: dict[str, str] = {
    "accounts.change_password": "acts on the caller's own account",
    "accounts.get_user": "the caller's own account",
    "accounts.logout_everywhere": "the caller's own sessions",
    "organizations.create_organization": "creates a new organization; any signed-in user may",
    "organizations.list_my_organizations": "only the caller's own memberships",
    "organizations.accept_invitation": "authorized by the invitation token and the invited email",
    "overview.list_organization_summaries": "only the organizations the caller belongs to",
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
