"""The one table of the token scopes each GitHub check needs, and what the connection test says of it."""

from __future__ import annotations

from compliance_app.checks.registry import checks_for
from compliance_app.models import Provider
from compliance_app.providers.github import REQUIRED_SCOPES
from compliance_app.providers.github import test_connection as check_connection
from compliance_app.providers.github_scopes import CHECK_SCOPES, OPTIONAL, SATISFIED_BY, checks_lacking
from tests.support.github_server import GitHubServer

ACTIONS_ORG = ["organization_actions_allowed_actions_restricted",
               "organization_actions_default_workflow_permissions_read_only",
               "organization_actions_fork_pr_workflows_approval_required"]


def test_every_github_check_has_its_scopes_and_every_row_is_a_check() -> None:
    assert set(CHECK_SCOPES) == {c.meta.key for c in checks_for(Provider.GITHUB)}
    assert all(scopes and set(scopes) <= set(SATISFIED_BY) for scopes in CHECK_SCOPES.values())


def test_required_scopes_are_those_of_the_table_minus_the_optional_ones() -> None:
    assert list(REQUIRED_SCOPES) == ["read:org", "repo", "security_events"]
    assert set(OPTIONAL) == {"admin:org", "admin:org_hook"}


def test_checks_lacking_names_the_checks_each_missing_optional_scope_leaves_unreadable() -> None:
    assert checks_lacking(["repo", "read:org", "security_events", "admin:org", "admin:org_hook"]) == {}
    lacking = checks_lacking(["repo", "read:org", "security_events"])
    assert lacking == {"admin:org": ACTIONS_ORG, "admin:org_hook": ["organization_webhooks_secure"]}


def test_connection_lists_the_checks_a_token_without_admin_org_cannot_run(github_server: GitHubServer) -> None:
    github_server.scopes = "repo, read:org, security_events, admin:org_hook"
    result = check_connection({"github_org": "acme", "base_url": github_server.base_url},
                              {"token": github_server.token})
    assert result.ok, result.message  # a read-only token still connects
    assert "Without the admin:org scope 3 check(s) cannot run and will show ERROR" in result.message
    assert all(key in result.message for key in ACTIONS_ORG)
    assert result.details["checks_lacking_scope"] == {"admin:org": ACTIONS_ORG}


def test_connection_with_every_scope_lists_nothing(github_server: GitHubServer) -> None:
    github_server.scopes = "repo, admin:org, security_events, admin:org_hook"
    result = check_connection({"github_org": "acme", "base_url": github_server.base_url},
                              {"token": github_server.token})
    assert result.ok and "Without" not in result.message and result.details["checks_lacking_scope"] == {}


def test_fine_grained_token_is_not_judged_by_scopes(github_server: GitHubServer) -> None:
    github_server.scopes = None  # GitHub sends no X-OAuth-Scopes for fine-grained tokens
    result = check_connection({"github_org": "acme", "base_url": github_server.base_url},
                              {"token": github_server.token})
    assert result.ok and "checks_lacking_scope" not in result.details
