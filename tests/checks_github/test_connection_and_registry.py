"""Test-connection messages and the catalog's GitHub metadata."""

from __future__ import annotations

from compliance_app.checks.base import FRAMEWORKS
from compliance_app.checks.registry import checks_for
from compliance_app.models import Provider, Severity
from compliance_app.providers.github import test_connection as check_connection
from tests.support.github_server import GitHubServer

EXPECTED_KEYS = {
    "organization_members_mfa_required", "organization_members_without_2fa",
    "organization_outside_collaborators_without_2fa",
    "organization_default_repository_permission_strict", "organization_repository_creation_limited",
    "organization_repository_deletion_limited", "organization_admins_limited",
    "organization_webhooks_secure", "repository_default_branch_protection_enabled",
    "repository_default_branch_requires_pr_reviews", "repository_default_branch_disallows_force_push",
    "repository_default_branch_dismisses_stale_reviews", "repository_default_branch_requires_signed_commits",
    "repository_default_branch_deletion_disabled", "repository_default_branch_status_checks_required",
    "repository_default_branch_protection_applies_to_admins",
    "repository_default_branch_requires_codeowners_review", "repository_secret_scanning_enabled",
    "repository_dependency_scanning_enabled", "repository_no_open_critical_dependabot_alerts",
    "repository_has_codeowners_file", "repository_public_has_securitymd_file",
    "repository_inactive_not_archived",
    # Actions and supply chain
    "organization_actions_allowed_actions_restricted", "organization_actions_default_workflow_permissions_read_only",
    "organization_actions_fork_pr_workflows_approval_required",
    "repository_actions_default_workflow_permissions_read_only",
    "repository_secret_scanning_push_protection_enabled", "repository_dependabot_security_updates_enabled",
    "repository_code_scanning_enabled_no_open_critical_alerts", "repository_deploy_keys_read_only",
    "repository_outside_collaborators_not_admin", "repository_workflows_no_untrusted_checkout",
    "repository_workflows_actions_pinned_to_sha", "repository_default_branch_requires_conversation_resolution",
}


def _config(server: GitHubServer, **extra: object) -> dict:
    return {"github_org": "acme", "base_url": server.base_url, **extra}


def test_registry_has_all_github_checks_with_valid_metadata() -> None:
    checks = checks_for(Provider.GITHUB)
    assert {c.meta.key for c in checks} == EXPECTED_KEYS
    for check in checks:
        meta = check.meta
        meta.validate()
        assert meta.service in ("organization", "repository")
        assert meta.severity in set(Severity)
        assert set(meta.frameworks) <= set(FRAMEWORKS) and meta.frameworks["SOC 2"]
        assert meta.frameworks["ISO 27001"]
        assert meta.key.split("_")[0] == meta.service


def test_connection_ok(github_server: GitHubServer) -> None:
    result = check_connection(_config(github_server), {"token": github_server.token})
    assert result.ok and "acme" in result.message
    assert github_server.token not in result.message + str(result.details)


def test_connection_bad_token(github_server: GitHubServer) -> None:
    result = check_connection(_config(github_server), {"token": "ghp_expired"})
    assert not result.ok and "invalid, expired or revoked" in result.message
    assert "ghp_expired" not in result.message


def test_connection_missing_scopes_are_named(github_server: GitHubServer) -> None:
    github_server.scopes = "repo"
    result = check_connection(_config(github_server), {"token": github_server.token})
    assert not result.ok and "read:org" in result.message and "security_events" in result.message


def test_connection_classic_token_without_scopes(github_server: GitHubServer) -> None:
    github_server.scopes = ""
    result = check_connection(_config(github_server), {"token": github_server.token})
    assert not result.ok and "it has: none" in result.message


def test_connection_fine_grained_token_is_not_judged_by_scopes(github_server: GitHubServer) -> None:
    github_server.scopes = None  # fine-grained tokens carry permissions, not scopes
    result = check_connection(_config(github_server), {"token": github_server.token})
    assert result.ok, result.message


def test_connection_org_not_found(github_server: GitHubServer) -> None:
    result = check_connection(_config(github_server, github_org="ghost"), {"token": github_server.token})
    assert not result.ok and "'ghost' was not found" in result.message


def test_connection_unreachable() -> None:
    result = check_connection({"github_org": "acme", "base_url": "http://127.0.0.1:9"}, {"token": "t"})
    assert not result.ok and "unreachable" in result.message


def test_connection_timeout(github_server: GitHubServer) -> None:
    github_server.latency = 1.5
    result = check_connection(_config(github_server, timeout=1), {"token": github_server.token})
    assert not result.ok and "timeout" in result.message
