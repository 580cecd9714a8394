"""Organization-wide GitHub Actions policy: allowed actions, the workflow token, fork pull requests.

These settings are readable only with an owner's token holding admin:org (or the fine-grained
organization permission "Administration: read"): without it the provider raises a
CollectionError saying "the token lacks admin:org", which becomes ERROR, never FAIL. Each
check returns exactly one finding for the organization.
"""

from __future__ import annotations

from typing import Any

from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.checks.github._common import OrganizationCheck, finding
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity

_ACTIONS_SETTINGS = "GitHub → your organization → Settings → Actions → General"
#: Allow-list patterns that admit every action, which makes "selected" no restriction at all.
_ALLOW_ALL_PATTERNS = {"*", "*/*", "*@*", "*/*@*"}


def _meta(key: str, title: str, severity: Severity, soc2: list[str], iso: list[str], rationale: str,
          remediation: str) -> CheckMeta:
    return CheckMeta(key=key, title=title, provider=Provider.GITHUB, service="organization",
                     severity=severity, frameworks={"SOC 2": soc2, "ISO 27001": iso},
                     rationale=rationale, remediation=remediation,
                     when_empty=EvidenceStatus.NOT_APPLICABLE)  # always one finding for the organization


class OrganizationActionsAllowedActionsRestricted(OrganizationCheck):
    meta = _meta(
        "organization_actions_allowed_actions_restricted",
        "Organization restricts which GitHub Actions may run", Severity.MEDIUM, ["CC8.1", "CC7.1"],
        ["8.30", "5.19"],
        "Any action from the marketplace runs with the workflow's token and secrets; letting every "
        "action run hands that access to code nobody in the organization reviewed.",
        f"{_ACTIONS_SETTINGS} → Policies → 'Allow <org>, and select non-<org>, actions and reusable "
        "workflows' (or 'Allow <org> actions and reusable workflows'), tick 'Allow actions created by "
        "GitHub' and list the third-party actions you vetted → Save. CLI: gh api -X PUT "
        "orgs/ORG/actions/permissions -f enabled_repositories=all -f allowed_actions=selected")

    def collect(self, session: Any) -> Any:
        permissions = session.collect("actions_permissions")
        selected = (session.collect("actions_selected_actions")
                    if permissions.get("allowed_actions") == "selected" else None)
        return {"permissions": permissions, "selected": selected}

    def evaluate(self, login: str, data: Any, session: Any) -> Finding:
        permissions, selected = data["permissions"], data["selected"]
        enabled, allowed = permissions.get("enabled_repositories"), permissions.get("allowed_actions")
        raw = {"organization": login, "enabled_repositories": enabled, "allowed_actions": allowed,
               "sha_pinning_required": permissions.get("sha_pinning_required")}
        if enabled == "none":
            return finding(login, True, f"GitHub Actions is disabled for every repository of '{login}'.", raw)
        if allowed is None:
            return finding(login, None, f"GitHub did not return allowed_actions for '{login}'.", raw)
        if allowed == "local_only":
            return finding(login, True, f"Organization '{login}' allows only its own actions and reusable "
                                        "workflows.", raw)
        if allowed == "selected" and selected is not None:
            patterns = selected["patterns_allowed"]
            raw.update(github_owned_allowed=selected["github_owned_allowed"],
                       verified_allowed=selected["verified_allowed"], patterns_allowed=patterns[:50])
            wide = sorted(p for p in patterns if str(p).strip() in _ALLOW_ALL_PATTERNS)
            if wide:
                return finding(login, False, f"Organization '{login}' allows selected actions, but the pattern "
                                             f"{', '.join(wide)} admits every action.", raw)
            return finding(login, True, f"Organization '{login}' allows only selected actions "
                                        f"({len(patterns)} allow-list pattern(s)).", raw)
        return finding(login, False, f"Organization '{login}' lets every action run (allowed_actions = "
                                     f"{allowed!r}).", raw)


class OrganizationActionsDefaultWorkflowPermissionsReadOnly(OrganizationCheck):
    meta = _meta(
        "organization_actions_default_workflow_permissions_read_only",
        "Workflow tokens are read-only by default in the organization", Severity.HIGH, ["CC6.3", "CC8.1"],
        ["8.2", "5.15"],
        "A GITHUB_TOKEN that can write by default lets any compromised step or dependency in any "
        "workflow push code, create releases or approve pull requests; workflows should ask for the "
        "write permissions they need.",
        f"{_ACTIONS_SETTINGS} → Workflow permissions → 'Read repository contents and packages "
        "permissions', untick 'Allow GitHub Actions to create and approve pull requests' → Save. CLI: gh "
        "api -X PUT orgs/ORG/actions/permissions/workflow -f default_workflow_permissions=read -F "
        "can_approve_pull_request_reviews=false")

    def collect(self, session: Any) -> Any:
        return session.collect("org_workflow_permissions")

    def evaluate(self, login: str, data: Any, session: Any) -> Finding:
        return workflow_permissions_finding(login, f"Organization '{login}'", data)


def workflow_permissions_finding(resource: str, subject: str, data: dict[str, Any]) -> Finding:
    """PASS when the GITHUB_TOKEN is read-only by default and may not approve pull requests."""
    default = data.get("default_workflow_permissions")
    approve = data.get("can_approve_pull_request_reviews")
    raw = {"resource": resource, "default_workflow_permissions": default,
           "can_approve_pull_request_reviews": approve}
    if default is None:
        return finding(resource, None, f"GitHub did not return the default workflow permissions of {subject}.",
                       raw)
    if default != "read":
        return finding(resource, False, f"{subject} gives workflow tokens {default!r} permissions by default.",
                       raw)
    if approve:
        return finding(resource, False, f"{subject} gives workflow tokens read permissions by default, but "
                                        "lets GitHub Actions approve pull requests.", raw)
    return finding(resource, True, f"{subject} gives workflow tokens read-only permissions by default.", raw)


class OrganizationActionsForkPrWorkflowsApprovalRequired(OrganizationCheck):
    meta = _meta(
        "organization_actions_fork_pr_workflows_approval_required",
        "Workflows from outside contributors' fork pull requests need approval", Severity.MEDIUM,
        ["CC8.1", "CC6.8"], ["8.32", "8.7"],
        "A fork pull request runs the contributor's version of the workflow on your runners; without "
        "an approval anyone with a GitHub account can mine on them or probe the network they sit in. "
        "Approving only first-time contributors lets anyone with one merged typo fix skip it.",
        f"{_ACTIONS_SETTINGS} → 'Approval for running fork pull request workflows from contributors' → "
        "'Require approval for all external contributors' → Save. CLI: gh api -X PUT "
        "orgs/ORG/actions/permissions/fork-pr-contributor-approval -f "
        "approval_policy=all_external_contributors")

    def collect(self, session: Any) -> Any:
        return session.collect("fork_pr_approval")

    def evaluate(self, login: str, data: Any, session: Any) -> Finding:
        policy = data.get("approval_policy")
        raw = {"organization": login, "approval_policy": policy}
        if policy is None:
            return finding(login, None, f"GitHub did not return the fork pull-request approval policy of "
                                        f"'{login}'.", raw)
        if policy == "all_external_contributors":
            return finding(login, True, f"Organization '{login}' requires approval before workflows of any "
                                        "external contributor's fork pull request run.", raw)
        return finding(login, False, f"Organization '{login}' runs fork pull-request workflows of some "
                                     f"external contributors without approval (approval_policy = {policy!r}).",
                       raw)
