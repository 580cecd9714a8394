"""Rulesets count as protection: a repository protected only by rulesets is not unprotected."""

from __future__ import annotations

from compliance_app.checks.registry import checks_for, get_check
from compliance_app.models import EvidenceStatus, Provider
from tests.checks_github.helpers import make_session, run
from tests.support.github_server import GitHubServer

FULL_RULESET = [
    {"type": "pull_request", "parameters": {
        "required_approving_review_count": 2, "dismiss_stale_reviews_on_push": True,
        "require_code_owner_review": True, "require_last_push_approval": False,
        "required_review_thread_resolution": True}},
    {"type": "non_fast_forward"},
    {"type": "deletion"},
    {"type": "required_signatures"},
    {"type": "required_status_checks", "parameters": {
        "strict_required_status_checks_policy": True, "required_status_checks": [{"context": "ci/test"}]}},
]
BRANCH_KEYS = sorted(c.meta.key for c in checks_for(Provider.GITHUB) if "default_branch" in c.meta.key)


def test_ruleset_only_repository_passes_every_branch_check(github_server: GitHubServer) -> None:
    github_server.add_repo("api")
    github_server.add_ruleset("api", FULL_RULESET, bypass_actors=[])
    session = make_session(github_server)
    results = {key: get_check(key).run(session) for key in BRANCH_KEYS}
    assert len(BRANCH_KEYS) == 10
    assert {k: [f.status for f in v] for k, v in results.items()} == {
        k: [EvidenceStatus.PASS] for k in BRANCH_KEYS}
    # It really was ruleset-only: GitHub said "Branch not protected" for classic protection.
    assert github_server.repos["api"].branches["main"] is None
    proof = results["repository_default_branch_protection_enabled"][0].raw_data
    assert proof["classic_protection"] is False and "deletion" in proof["ruleset_rules"]


def test_branch_data_is_read_once_for_all_branch_checks(github_server: GitHubServer) -> None:
    github_server.add_repo("api").protect()
    session = make_session(github_server)
    for check in checks_for(Provider.GITHUB):
        if check.meta.key in BRANCH_KEYS:
            check.run(session)
    # An admin's token: the protection endpoint alone says whether the branch exists and how it is protected.
    assert github_server.request_count(r"/branches/main$") == 0
    assert github_server.request_count(r"/branches/main/protection") == 1
    assert github_server.request_count(r"/rules/branches/main") == 1


def test_ruleset_admin_bypass_fails_the_admin_check(github_server: GitHubServer) -> None:
    github_server.add_repo("api")
    github_server.add_ruleset("api", [{"type": "deletion"}],
                              bypass_actors=[{"actor_id": 5, "actor_type": "RepositoryRole",
                                              "bypass_mode": "always"}])
    [finding] = run("repository_default_branch_protection_applies_to_admins", github_server)
    assert finding.status == EvidenceStatus.FAIL
    [finding] = run("repository_default_branch_deletion_disabled", github_server)
    assert finding.status == EvidenceStatus.PASS


def test_unreadable_ruleset_bypass_list_is_an_error_not_a_pass(github_server: GitHubServer) -> None:
    github_server.add_repo("api")
    github_server.add_ruleset("api", [{"type": "deletion"}])
    github_server.fail(r"/rulesets/\d+$", 403, "Must have admin rights to Repository.")
    [finding] = run("repository_default_branch_protection_applies_to_admins", github_server)
    assert finding.status == EvidenceStatus.ERROR
    assert "bypass list" in finding.message


def test_classic_and_ruleset_settings_combine(github_server: GitHubServer) -> None:
    github_server.add_repo("api").protect(allow_force_pushes={"enabled": True})
    github_server.add_ruleset("api", [{"type": "non_fast_forward"}])
    [finding] = run("repository_default_branch_disallows_force_push", github_server)
    assert finding.status == EvidenceStatus.PASS and finding.raw_data["blocked_by_ruleset"] is True
