"""GitHub Actions workflow files: dangerous privileged triggers and unpinned third-party actions.

The provider reads `.github/workflows` of the default branch through the contents API and parses
each file with yaml.safe_load (providers/github_supply_chain.py); the decisions here are pure
functions of the parsed documents (checks/github/_workflows.py). A repository without workflows
is not applicable. A file that could not be read or parsed makes the repository ERROR, naming
the file, unless another file already FAILs it.
"""

from __future__ import annotations

from typing import Any

from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.checks.github._common import RepositoryCheck, finding, sample
from compliance_app.checks.github._workflows import unpinned_references, untrusted_checkouts
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity


class _WorkflowCheck(RepositoryCheck):
    """One finding per repository with workflows, from the problems each parsed file shows."""

    ok_text = ""

    def collect(self, session: Any, repo: dict[str, Any]) -> Any:
        return session.collect("workflows", repo=repo["full_name"])

    def problems(self, repo: dict[str, Any], path: str, workflow: dict[str, Any]) -> list[dict[str, Any]]:
        raise NotImplementedError  # pragma: no cover - interface

    def fail_message(self, name: str, problems: list[dict[str, Any]]) -> str:
        raise NotImplementedError  # pragma: no cover - interface

    def evaluate(self, repo: dict[str, Any], data: Any) -> Finding | None:
        name = repo["full_name"]
        if not data:  # no workflow files: nothing of this repository runs on GitHub Actions
            return None
        problems: list[dict[str, Any]] = []
        unreadable = [f for f in data if "error" in f]
        for f in data:
            if "workflow" in f:
                problems += self.problems(repo, f["path"], f["workflow"])
        raw = {"repository": name, "workflows": [f["path"] for f in data][:50], "problems": sample(problems, 30),
               "unreadable": [f["error"] for f in unreadable][:10]}
        if problems:
            return finding(name, False, self.fail_message(name, problems), raw)
        if unreadable:
            return finding(name, None, f"{name}: {'; '.join(f['error'] for f in unreadable[:3])}.", raw)
        return finding(name, True, f"{name}: {self.ok_text} ({len(data)} workflow file(s)).", raw)


class RepositoryWorkflowsNoUntrustedCheckout(_WorkflowCheck):
    meta = CheckMeta(
        key="repository_workflows_no_untrusted_checkout",
        title="No pull_request_target or workflow_run workflow checks out and runs untrusted code",
        provider=Provider.GITHUB, service="repository", severity=Severity.CRITICAL,
        frameworks={"SOC 2": ["CC8.1", "CC6.8"], "ISO 27001": ["8.28", "8.25"]},
        rationale="pull_request_target and workflow_run workflows run with the base repository's "
                  "secrets and a write token; checking out a fork's pull request head there and running "
                  "its scripts hands both to anyone who opens a pull request (a 'pwn request').",
        remediation="Edit the listed workflow: trigger on pull_request instead (no secrets for forks), or "
                    "keep pull_request_target only for steps that never check out or run the pull "
                    "request's code (labelling, commenting), and move building and testing to a "
                    "pull_request workflow that hands results over as artifacts. CLI: gh api "
                    "repos/OWNER/REPO/contents/.github/workflows/FILE --jq .content | base64 -d to review "
                    "it, then commit the fix.",
        when_empty=EvidenceStatus.NOT_APPLICABLE)  # no workflows anywhere: nothing runs untrusted code
    ok_text = "no privileged workflow checks out and runs a pull request's code"

    def problems(self, repo: dict[str, Any], path: str, workflow: dict[str, Any]) -> list[dict[str, Any]]:
        return [c.as_proof() for c in untrusted_checkouts(path, workflow)]

    def fail_message(self, name: str, problems: list[dict[str, Any]]) -> str:
        where = "; ".join(f"{p['file']} job '{p['job']}' ({p['trigger']}: {p['checkout']})" for p in problems[:3])
        return f"{name} checks out and runs untrusted pull request code with secrets: {where}."


class RepositoryWorkflowsActionsPinnedToSha(_WorkflowCheck):
    meta = CheckMeta(
        key="repository_workflows_actions_pinned_to_sha",
        title="Third-party actions are pinned to a full commit SHA",
        provider=Provider.GITHUB, service="repository", severity=Severity.MEDIUM,
        frameworks={"SOC 2": ["CC8.1", "CC9.2"], "ISO 27001": ["5.21", "8.30"]},
        rationale="A tag or branch of someone else's action can be moved to new code at any time (as in "
                  "the tj-actions/changed-files compromise); only a full commit SHA fixes what runs with "
                  "your workflow's token and secrets.",
        remediation="In each listed workflow replace 'uses: owner/action@v1' with 'uses: "
                    "owner/action@<40-character commit SHA> # v1' (Dependabot keeps such pins up to date). "
                    "CLI: gh api repos/OWNER/ACTION/commits/v1 --jq .sha gives the SHA of a tag.",
        when_empty=EvidenceStatus.NOT_APPLICABLE)  # no workflows anywhere: no action runs
    ok_text = "every third-party action and reusable workflow is pinned to a commit SHA"

    def problems(self, repo: dict[str, Any], path: str, workflow: dict[str, Any]) -> list[dict[str, Any]]:
        owner = repo["full_name"].split("/", 1)[0]
        return [{"file": path, **u} for u in unpinned_references(workflow, owner)]

    def fail_message(self, name: str, problems: list[dict[str, Any]]) -> str:
        where = ", ".join(f"{p['uses']} ({p['file']})" for p in problems[:5])
        return f"{name} uses {len(problems)} third-party action(s) not pinned to a commit SHA: {where}."
