"""Default branch: review conversations must be resolved before merging.

Read from classic protection (required_conversation_resolution) and rulesets (the pull_request
rule's required_review_thread_resolution), like every default-branch check.
"""

from __future__ import annotations

from typing import Any

from compliance_app.checks.base import CheckMeta
from compliance_app.checks.github.branch_protection import DefaultBranchCheck, _enabled, _pr_params
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity


class RepositoryDefaultBranchRequiresConversationResolution(DefaultBranchCheck):
    meta = CheckMeta(
        key="repository_default_branch_requires_conversation_resolution",
        title="Default branch requires review conversations to be resolved",
        provider=Provider.GITHUB, service="repository", severity=Severity.LOW,
        frameworks={"SOC 2": ["CC8.1"], "ISO 27001": ["8.32"]},
        rationale="A reviewer's open objection is part of the review; merging past it makes the approval "
                  "say less than it seems.",
        remediation="GitHub → repository → Settings → Rules → Rulesets (or Branches → branch protection "
                    "rule) for the default branch: tick 'Require conversation resolution before merging'. "
                    "CLI (classic rule): gh api -X PUT repos/OWNER/REPO/branches/BRANCH/protection "
                    "--input protection.json with \"required_conversation_resolution\": true.",
        when_empty=EvidenceStatus.NOT_APPLICABLE)  # no repository: nothing to protect
    ok_text, fail_text = "requires conversations to be resolved", "lets pull requests merge with open conversations"

    def decide(self, p: dict[str, Any]) -> tuple[bool | None, dict[str, Any]]:
        by_ruleset = any(r.get("required_review_thread_resolution") for r in _pr_params(p))
        by_classic = _enabled((p["classic"] or {}).get("required_conversation_resolution"))
        return by_ruleset or by_classic, {"by_ruleset": by_ruleset, "by_classic": by_classic}
