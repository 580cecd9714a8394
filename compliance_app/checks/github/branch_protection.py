"""Default-branch protection, read from classic branch protection AND repository rulesets.

GitHub enforces both: a setting counts as on when either source turns it on. Reading only
classic protection reports ruleset-protected repositories as unprotected (a well-known
false positive), so every check here looks at both. Each `decide` returns
(ok, proof): ok None means the deciding data could not be read (ERROR).

Classic protection is readable only with admin rights (GitHub answers 404 otherwise, even
for a protected branch). When it could not be read, a setting that rulesets turn on still
passes, but "off" cannot be concluded: that becomes ERROR with the reason, never FAIL.
"""

from __future__ import annotations

from typing import Any

from compliance_app.checks.base import CheckMeta, Finding
from compliance_app.checks.github._common import RepositoryCheck, finding
from compliance_app.vocabulary import EvidenceStatus, Provider, Severity

#: Ruleset bypass actors in words (GitHub's repository-ruleset-bypass-actor actor_type).
_ACTOR_TYPES = {"Team": "team", "Integration": "GitHub App", "EnterpriseTeam": "enterprise team"}
#: Built-in repository role ids a RepositoryRole bypass actor may name; others are custom roles.
_REPOSITORY_ROLES = {2: "maintain role", 4: "write role", 5: "repository admin role"}
#: Every bypass_mode GitHub documents lets the actor skip the rules: "always" everywhere,
#: "pull_request" when merging pull requests (approvals and checks skipped), "exempt" silently.
_BYPASS_MODES = {"always": "always", "pull_request": "when merging pull requests",
                 "exempt": "exempt from the rules"}
_BRANCH_SETTINGS = ("GitHub → repository → Settings → Rules → Rulesets (or Branches → branch "
                    "protection rule) for the default branch")


def _enabled(flag: Any) -> bool:
    return bool(flag.get("enabled")) if isinstance(flag, dict) else bool(flag)


def _rules(protection: dict[str, Any], rule_type: str) -> list[dict[str, Any]]:
    return [r for r in protection["rules"] if r.get("type") == rule_type]


def _pr_params(protection: dict[str, Any]) -> list[dict[str, Any]]:
    return [r.get("parameters") or {} for r in _rules(protection, "pull_request")]


def _classic_reviews(protection: dict[str, Any]) -> dict[str, Any] | None:
    classic = protection["classic"]
    return (classic or {}).get("required_pull_request_reviews") or None


def bypass_actor_text(actor: dict[str, Any]) -> str:
    """ "team 42 (always)", "organization admins (when merging pull requests)"... """
    kind, actor_id = actor.get("actor_type"), actor.get("actor_id")
    if kind == "OrganizationAdmin":
        who = "organization admins"
    elif kind == "DeployKey":
        who = "deploy keys"
    elif kind == "RepositoryRole":
        who = _REPOSITORY_ROLES.get(actor_id) or f"custom repository role {actor_id}"
    else:
        who = f"{_ACTOR_TYPES.get(kind, kind or 'actor')} {actor_id}"
    mode = actor.get("bypass_mode") or "always"  # GitHub's default when it is not given
    return f"{who} ({_BYPASS_MODES.get(mode, mode)})"


class DefaultBranchCheck(RepositoryCheck):
    """One finding per non-archived repository about its default branch."""

    ok_text = ""
    fail_text = ""

    def collect(self, session: Any, repo: dict[str, Any]) -> Any:
        return session.collect("branch_protection", repo=repo["full_name"], branch=repo["default_branch"])

    def decide(self, protection: dict[str, Any]) -> tuple[bool | None, dict[str, Any]]:  # pragma: no cover
        raise NotImplementedError

    def fail_message(self, proof: dict[str, Any]) -> str:
        return self.fail_text

    def unreadable_classic_could_pass(self, proof: dict[str, Any]) -> bool:
        """Whether classic protection that could not be read might turn this FAIL into PASS."""
        return True

    def evaluate(self, repo: dict[str, Any], data: Any) -> Finding | None:
        if not data["exists"]:  # empty repository: no branch to protect yet
            return None
        ok, proof = self.decide(data)
        if ok is False and data.get("classic_error") and self.unreadable_classic_could_pass(proof):
            ok, proof = None, {**proof, "reason": data["classic_error"]}
        raw = {"repository": repo["full_name"], "default_branch": data["branch"],
               "branch_marked_protected": data.get("protected"),
               "classic_protection": ("unreadable" if data.get("classic_error")
                                      else data["classic"] is not None),
               "ruleset_rules": sorted({r["type"] for r in data["rules"]}), **proof}
        subject = f"Default branch '{data['branch']}' of {repo['full_name']}"
        if ok is None:
            return finding(repo["full_name"], None, f"{subject}: {proof.get('reason', 'data not readable')}",
                           raw)
        return finding(repo["full_name"], ok,
                       f"{subject} {self.ok_text if ok else self.fail_message(proof)}.", raw)


def _meta(key: str, title: str, severity: Severity, cis: list[str], rationale: str, remediation: str) -> CheckMeta:
    frameworks = {"SOC 2": ["CC8.1"], "ISO 27001": ["8.32"]}
    if cis:
        frameworks["CIS"] = cis
    return CheckMeta(key=key, title=title, provider=Provider.GITHUB, service="repository",
                     severity=severity, frameworks=frameworks, rationale=rationale,
                     remediation=f"{_BRANCH_SETTINGS}: {remediation}",
                     when_empty=EvidenceStatus.NOT_APPLICABLE)  # no repository: nothing to protect


class RepositoryDefaultBranchProtectionEnabled(DefaultBranchCheck):
    meta = _meta("repository_default_branch_protection_enabled", "Default branch is protected",
                 Severity.HIGH, [],
                 "Without protection anyone with write access can push, rewrite or delete the branch "
                 "that is released.",
                 "create a ruleset (or classic rule) targeting the default branch.")
    ok_text, fail_text = "is protected", "is not protected by a branch rule or ruleset"

    def decide(self, p: dict[str, Any]) -> tuple[bool | None, dict[str, Any]]:
        # GitHub's own `protected` flag settles it even when the rules themselves are unreadable.
        return bool(p.get("protected")) or p["classic"] is not None or bool(p["rules"]), {}


class RepositoryDefaultBranchRequiresPrReviews(DefaultBranchCheck):
    meta = _meta("repository_default_branch_requires_pr_reviews",
                 "Default branch requires at least one approving review", Severity.HIGH, ["1.1.3"],
                 "A second person reviewing every change is the main control against malicious or "
                 "mistaken code reaching production.",
                 "require a pull request before merging with at least 1 required approval.")
    ok_text, fail_text = "requires approving reviews", "does not require an approving review"

    def decide(self, p: dict[str, Any]) -> tuple[bool | None, dict[str, Any]]:
        counts = [int(r.get("required_approving_review_count") or 0) for r in _pr_params(p)]
        reviews = _classic_reviews(p)
        if reviews is not None:
            counts.append(int(reviews.get("required_approving_review_count") or 0))
        best = max(counts, default=0)
        return best >= 1, {"required_approving_review_count": best}


class RepositoryDefaultBranchDisallowsForcePush(DefaultBranchCheck):
    meta = _meta("repository_default_branch_disallows_force_push",
                 "Default branch does not allow force pushes", Severity.HIGH, ["1.1.16"],
                 "Force pushes rewrite history and can silently remove reviewed commits.",
                 "block force pushes (rulesets) or leave 'Allow force pushes' unticked (classic).")
    ok_text, fail_text = "blocks force pushes", "allows force pushes"

    def decide(self, p: dict[str, Any]) -> tuple[bool | None, dict[str, Any]]:
        by_ruleset = bool(_rules(p, "non_fast_forward"))
        by_classic = p["classic"] is not None and not _enabled(p["classic"].get("allow_force_pushes"))
        return by_ruleset or by_classic, {"blocked_by_ruleset": by_ruleset, "blocked_by_classic": by_classic}


class RepositoryDefaultBranchDismissesStaleReviews(DefaultBranchCheck):
    meta = _meta("repository_default_branch_dismisses_stale_reviews",
                 "New pushes dismiss stale approvals on the default branch", Severity.MEDIUM, ["1.1.4"],
                 "Otherwise code pushed after an approval is merged without anyone reviewing it.",
                 "tick 'Dismiss stale pull request approvals when new commits are pushed'.")
    ok_text, fail_text = "dismisses stale approvals", "keeps approvals after new pushes"

    def decide(self, p: dict[str, Any]) -> tuple[bool | None, dict[str, Any]]:
        by_ruleset = any(r.get("dismiss_stale_reviews_on_push") for r in _pr_params(p))
        by_classic = bool((_classic_reviews(p) or {}).get("dismiss_stale_reviews"))
        return by_ruleset or by_classic, {"by_ruleset": by_ruleset, "by_classic": by_classic}


class RepositoryDefaultBranchRequiresSignedCommits(DefaultBranchCheck):
    meta = _meta("repository_default_branch_requires_signed_commits",
                 "Default branch requires signed commits", Severity.LOW, ["1.1.12"],
                 "Signatures prove who authored a commit; unsigned commits can impersonate anyone.",
                 "tick 'Require signed commits'.")
    ok_text, fail_text = "requires signed commits", "accepts unsigned commits"

    def decide(self, p: dict[str, Any]) -> tuple[bool | None, dict[str, Any]]:
        by_ruleset = bool(_rules(p, "required_signatures"))
        by_classic = _enabled((p["classic"] or {}).get("required_signatures"))
        return by_ruleset or by_classic, {"by_ruleset": by_ruleset, "by_classic": by_classic}


class RepositoryDefaultBranchDeletionDisabled(DefaultBranchCheck):
    meta = _meta("repository_default_branch_deletion_disabled",
                 "Default branch cannot be deleted", Severity.MEDIUM, ["1.1.17"],
                 "Deleting the default branch breaks releases and can hide history.",
                 "restrict deletions (rulesets) or leave 'Allow deletions' unticked (classic).")
    ok_text, fail_text = "cannot be deleted", "can be deleted"

    def decide(self, p: dict[str, Any]) -> tuple[bool | None, dict[str, Any]]:
        by_ruleset = bool(_rules(p, "deletion"))
        by_classic = p["classic"] is not None and not _enabled(p["classic"].get("allow_deletions"))
        return by_ruleset or by_classic, {"blocked_by_ruleset": by_ruleset, "blocked_by_classic": by_classic}


class RepositoryDefaultBranchStatusChecksRequired(DefaultBranchCheck):
    meta = _meta("repository_default_branch_status_checks_required",
                 "Default branch requires status checks to pass", Severity.MEDIUM, ["1.1.9"],
                 "Required checks (tests, scanners) stop broken or vulnerable code from being merged.",
                 "tick 'Require status checks to pass' and select at least one check.")
    ok_text, fail_text = "requires status checks", "requires no status checks"

    def decide(self, p: dict[str, Any]) -> tuple[bool | None, dict[str, Any]]:
        contexts: list[str] = []
        for rule in _rules(p, "required_status_checks"):
            contexts += [c.get("context", "") for c in (rule.get("parameters") or {}).get(
                "required_status_checks", [])]
        classic = (p["classic"] or {}).get("required_status_checks") or {}
        contexts += list(classic.get("contexts") or [])
        contexts += [c.get("context", "") for c in classic.get("checks") or []]
        contexts = sorted(set(filter(None, contexts)))
        return bool(contexts), {"required_checks": contexts[:20]}


class RepositoryDefaultBranchProtectionAppliesToAdmins(DefaultBranchCheck):
    meta = _meta("repository_default_branch_protection_applies_to_admins",
                 "Default branch protection also applies to administrators", Severity.MEDIUM, ["1.1.14"],
                 "If administrators can bypass the rules, one compromised admin account bypasses every "
                 "review requirement.",
                 "tick 'Do not allow bypassing the above settings' (classic), and empty the bypass "
                 "list of every ruleset that applies to the branch (roles, teams, apps, deploy keys).")
    ok_text = "applies to everyone, administrators included"

    def decide(self, p: dict[str, Any]) -> tuple[bool | None, dict[str, Any]]:
        """PASS only when nobody may skip any of the rules that protect the branch.

        Classic protection without enforce_admins lets admins push past it; every bypass actor
        of a ruleset (whatever its type or bypass_mode) may skip that ruleset's rules. Either
        is a way around the protection, so one is enough to FAIL, naming who.
        """
        classic = p["classic"]
        bypass: list[str] = []
        if classic is not None and not _enabled(classic.get("enforce_admins")):
            bypass.append("administrators (classic branch protection without enforce_admins)")
        hidden: list[str] = []
        for ruleset_id, actors in sorted(p["rulesets"].items()):
            if actors is None:
                hidden.append(ruleset_id)
            else:
                bypass += [f"{bypass_actor_text(a)} in ruleset {ruleset_id}" for a in actors]
        proof = {"enforce_admins_classic": _enabled((classic or {}).get("enforce_admins")),
                 "bypass": bypass[:20], "rulesets_with_hidden_bypass_list": hidden}
        if bypass:
            return False, proof
        if hidden:
            proof["reason"] = (f"the bypass list of ruleset(s) {', '.join(hidden)} is not visible to the "
                               "token (it needs admin access to the repository)")
            return None, proof
        return classic is not None or bool(p["rules"]), proof

    def fail_message(self, proof: dict[str, Any]) -> str:
        if not proof["bypass"]:
            return "is not protected by a branch rule or ruleset"
        return f"can be bypassed by {'; '.join(proof['bypass'][:5])}"

    def unreadable_classic_could_pass(self, proof: dict[str, Any]) -> bool:
        return not proof["bypass"]  # a ruleset that may be bypassed fails whatever classic says


class RepositoryDefaultBranchRequiresCodeownersReview(DefaultBranchCheck):
    meta = _meta("repository_default_branch_requires_codeowners_review",
                 "Default branch requires review from code owners", Severity.LOW, ["1.1.7"],
                 "Changes to sensitive paths must be approved by the people responsible for them.",
                 "tick 'Require review from Code Owners' and add a CODEOWNERS file.")
    ok_text, fail_text = "requires code owner review", "does not require code owner review"

    def decide(self, p: dict[str, Any]) -> tuple[bool | None, dict[str, Any]]:
        by_ruleset = any(r.get("require_code_owner_review") for r in _pr_params(p))
        by_classic = bool((_classic_reviews(p) or {}).get("require_code_owner_reviews"))
        return by_ruleset or by_classic, {"by_ruleset": by_ruleset, "by_classic": by_classic}
