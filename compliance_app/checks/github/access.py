"""Who and what can write to a repository besides its members: deploy keys and outside collaborators."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.checks.github._common import RepositoryCheck, finding, sample
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity


class RepositoryDeployKeysReadOnly(RepositoryCheck):
    meta = CheckMeta(
        key="repository_deploy_keys_read_only", title="Deploy keys are read-only",
        provider=Provider.GITHUB, service="repository", severity=Severity.MEDIUM,
        frameworks={"SOC 2": ["CC6.1", "CC6.3"], "ISO 27001": ["5.15", "8.2"]},
        rationale="A deploy key is an SSH key outside any person's account, rarely rotated and often "
                  "copied to servers; with write access, whoever holds it can push code past review.",
        remediation="GitHub → repository → Settings → Deploy keys → delete each key marked 'Read/write' and "
                    "add it again without 'Allow write access'. CLI: gh repo deploy-key list -R OWNER/REPO, "
                    "then gh repo deploy-key delete KEY_ID -R OWNER/REPO and gh repo deploy-key add KEY.pub "
                    "-R OWNER/REPO (read-only unless --allow-write).",
        when_empty=EvidenceStatus.NOT_APPLICABLE)  # no repository in scope: nothing to judge

    def collect(self, session: Any, repo: dict[str, Any]) -> Any:
        return session.collect("deploy_keys", repo=repo["full_name"])

    def evaluate(self, repo: dict[str, Any], data: Any) -> Finding:
        name = repo["full_name"]
        writable = [k for k in data if k.get("read_only") is not True]
        raw = {"repository": name, "deploy_keys": len(data), "writable": sample(writable, 20)}
        if writable:
            titles = ", ".join(str(k.get("title") or k.get("id")) for k in writable[:10])
            return finding(name, False, f"{name} has {len(writable)} deploy key(s) with write access: {titles}.",
                           raw)
        if not data:
            return finding(name, True, f"{name} has no deploy keys.", raw)
        return finding(name, True, f"Every deploy key of {name} ({len(data)}) is read-only.", raw)


class RepositoryOutsideCollaboratorsNotAdmin(RepositoryCheck):
    meta = CheckMeta(
        key="repository_outside_collaborators_not_admin",
        title="No outside collaborator has admin rights on a repository",
        provider=Provider.GITHUB, service="repository", severity=Severity.HIGH,
        frameworks={"SOC 2": ["CC6.2", "CC6.3"], "ISO 27001": ["5.15", "5.18", "8.2"]},
        rationale="Outside collaborators are not members: they escape the organization's reviews of "
                  "membership and its SSO, yet an admin can change protection, secrets and access, "
                  "or delete the repository.",
        remediation="GitHub → repository → Settings → Collaborators and teams → change each listed outside "
                    "collaborator's role to Write or lower (or remove them). CLI: gh api -X PUT "
                    "repos/OWNER/REPO/collaborators/LOGIN -f permission=push",
        when_empty=EvidenceStatus.NOT_APPLICABLE)  # no repository in scope: nothing to judge
    include_archived = True  # an admin can unarchive the repository

    def collect(self, session: Any, repo: dict[str, Any]) -> Any:
        return session.collect("repo_outside_collaborators", repo=repo["full_name"])

    def evaluate(self, repo: dict[str, Any], data: Any) -> Finding:
        name = repo["full_name"]
        admins = sorted(str(p["login"]) for p in data if p.get("admin"))
        raw = {"repository": name, "outside_collaborators": len(data), "outside_admins": sample(admins)}
        if admins:
            return finding(name, False, f"{len(admins)} outside collaborator(s) have admin rights on {name}: "
                                        f"{', '.join(admins[:10])}.", raw)
        return finding(name, True, f"No outside collaborator has admin rights on {name} "
                                   f"({len(data)} outside collaborator(s)).", raw)
