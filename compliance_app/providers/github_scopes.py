"""Which classic-token scopes each GitHub check needs: the one table the connection test reads.

`CHECK_SCOPES` names, per check key, the scopes of a classic personal access token that let
GitHub answer what the check reads (GitHub's REST docs, "OAuth app tokens and personal
access tokens (classic) need ..."). tests/checks_github keeps it complete: every GitHub check
of the catalog has a row, and no row names a check that does not exist.

The top directories (CODEOWNERS, SECURITY.md) and deploy keys are read through GitHub's GraphQL
API (providers/github_batch.py), which asks of a token what the REST endpoints ask: the `repo`
scope of a classic token; a fine-grained token's 'Contents: read' for the files and
'Administration: read' for the deploy keys. The rows below therefore hold for both APIs.

The connection test refuses a token without a `REQUIRED` scope (most checks need them), and
accepts one without an `OPTIONAL` scope while listing the checks that will be ERROR for
lack of it: admin:org is a write scope many organizations will not hand out for a few
Actions settings.
"""

from __future__ import annotations

from collections.abc import Iterable

#: A scope, and the granted scopes that include it.
SATISFIED_BY: dict[str, frozenset[str]] = {
    "read:org": frozenset({"read:org", "write:org", "admin:org"}),
    "repo": frozenset({"repo"}),
    "security_events": frozenset({"security_events"}),
    "admin:org": frozenset({"admin:org"}),
    "admin:org_hook": frozenset({"admin:org_hook"}),
}
#: Scopes whose absence leaves only the checks that need them unreadable (ERROR).
OPTIONAL = ("admin:org", "admin:org_hook")

_ORG = ("read:org",)
_REPO = ("read:org", "repo")
_ACTIONS_ORG = ("admin:org",)

CHECK_SCOPES: dict[str, tuple[str, ...]] = {
    "organization_members_mfa_required": _ORG,
    "organization_members_without_2fa": _ORG,
    "organization_outside_collaborators_without_2fa": _ORG,
    "organization_default_repository_permission_strict": _ORG,
    "organization_repository_creation_limited": _ORG,
    "organization_repository_deletion_limited": _ORG,
    "organization_admins_limited": _ORG,
    "organization_webhooks_secure": ("admin:org_hook",),
    "organization_actions_allowed_actions_restricted": _ACTIONS_ORG,
    "organization_actions_default_workflow_permissions_read_only": _ACTIONS_ORG,
    "organization_actions_fork_pr_workflows_approval_required": _ACTIONS_ORG,
    "repository_default_branch_protection_enabled": _REPO,
    "repository_default_branch_requires_pr_reviews": _REPO,
    "repository_default_branch_disallows_force_push": _REPO,
    "repository_default_branch_dismisses_stale_reviews": _REPO,
    "repository_default_branch_requires_signed_commits": _REPO,
    "repository_default_branch_deletion_disabled": _REPO,
    "repository_default_branch_status_checks_required": _REPO,
    "repository_default_branch_protection_applies_to_admins": _REPO,
    "repository_default_branch_requires_codeowners_review": _REPO,
    "repository_default_branch_requires_conversation_resolution": _REPO,
    "repository_secret_scanning_enabled": _REPO,
    "repository_secret_scanning_push_protection_enabled": _REPO,
    "repository_dependency_scanning_enabled": _REPO,
    "repository_dependabot_security_updates_enabled": _REPO,
    "repository_no_open_critical_dependabot_alerts": (*_REPO, "security_events"),
    "repository_code_scanning_enabled_no_open_critical_alerts": (*_REPO, "security_events"),
    "repository_has_codeowners_file": _REPO,
    "repository_public_has_securitymd_file": _REPO,
    "repository_inactive_not_archived": _REPO,
    "repository_actions_default_workflow_permissions_read_only": _REPO,
    "repository_deploy_keys_read_only": _REPO,
    "repository_outside_collaborators_not_admin": _REPO,
    "repository_workflows_no_untrusted_checkout": _REPO,
    "repository_workflows_actions_pinned_to_sha": _REPO,
}

#: Scopes a token must have for the connection test to succeed (in SATISFIED_BY's order).
REQUIRED: tuple[str, ...] = tuple(
    s for s in SATISFIED_BY if s not in OPTIONAL and any(s in scopes for scopes in CHECK_SCOPES.values()))


def has_scope(scope: str, granted: Iterable[str]) -> bool:
    """Whether the granted scopes include `scope` (a broader scope counts)."""
    return bool(SATISFIED_BY.get(scope, frozenset({scope})) & set(granted))


def missing_required(granted: Iterable[str]) -> list[str]:
    """REQUIRED scopes the token lacks."""
    held = set(granted)
    return [s for s in REQUIRED if not has_scope(s, held)]


def checks_lacking(granted: Iterable[str]) -> dict[str, list[str]]:
    """{optional scope the token lacks: [keys of the checks that will be ERROR without it]}."""
    held = set(granted)
    lacking: dict[str, list[str]] = {}
    for scope in OPTIONAL:
        if not has_scope(scope, held):
            keys = sorted(k for k, scopes in CHECK_SCOPES.items() if scope in scopes)
            if keys:
                lacking[scope] = keys
    return lacking
