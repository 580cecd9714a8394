"""Per-repository GitHub Actions setting: the default permissions of the workflow token.

An organization's read-only default does not stop a repository admin from choosing write for
one repository, so the organization check alone does not prove it for each repository.
"""

from __future__ import annotations

from typing import Any

from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.checks.github._common import RepositoryCheck
from compliance_app.checks.github.actions_organization import workflow_permissions_finding
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity


class RepositoryActionsDefaultWorkflowPermissionsReadOnly(RepositoryCheck):
    meta = CheckMeta(
        key="repository_actions_default_workflow_permissions_read_only",
        title="Workflow tokens are read-only by default in each repository",
        provider=Provider.GITHUB, service="repository", severity=Severity.MEDIUM,
        frameworks={"SOC 2": ["CC6.3", "CC8.1"], "ISO 27001": ["8.2", "5.15"]},
        rationale="A repository whose GITHUB_TOKEN can write by default lets any compromised step or "
                  "dependency of its workflows push code or approve pull requests.",
        remediation="GitHub → repository → Settings → Actions → General → Workflow permissions → 'Read "
                    "repository contents and packages permissions', untick 'Allow GitHub Actions to create "
                    "and approve pull requests' → Save. CLI: gh api -X PUT "
                    "repos/OWNER/REPO/actions/permissions/workflow -f default_workflow_permissions=read -F "
                    "can_approve_pull_request_reviews=false",
        when_empty=EvidenceStatus.NOT_APPLICABLE)  # no repository in scope: nothing to judge

    def collect(self, session: Any, repo: dict[str, Any]) -> Any:
        return session.collect("repo_workflow_permissions", repo=repo["full_name"])

    def evaluate(self, repo: dict[str, Any], data: Any) -> Finding:
        name = repo["full_name"]
        return workflow_permissions_finding(name, name, data)
