"""GitHub findings a security engineer can trust.

Each test builds the evasion or the limited token on the local stand-in: a ruleset any
actor may bypass, protection a non-admin token cannot read, an outside collaborator without
2FA, a token that sees only some of the organization's repositories.
"""

from __future__ import annotations

import pytest

from compliance_app.checks.base import Finding
from compliance_app.checks.registry import checks_for, get_check
from compliance_app.services.engine import run_check
from compliance_app.vocabulary import EvidenceStatus, Provider
from tests.checks_github.helpers import make_session, run
from tests.support.github_server import GitHubServer

PASS, FAIL, ERROR = EvidenceStatus.PASS, EvidenceStatus.FAIL, EvidenceStatus.ERROR
ADMINS = "repository_default_branch_protection_applies_to_admins"
GITHUB_CHECKS = checks_for(Provider.GITHUB)
BRANCH_KEYS = sorted(c.meta.key for c in GITHUB_CHECKS if "default_branch" in c.meta.key)
REPO_KEYS = sorted(c.meta.key for c in GITHUB_CHECKS if c.meta.service == "repository")
FULL_CLASSIC = {
    "required_status_checks": {"strict": True, "contexts": ["ci/test"]},
    "enforce_admins": {"enabled": True},
    "required_pull_request_reviews": {"required_approving_review_count": 2, "dismiss_stale_reviews": True,
                                      "require_code_owner_reviews": True},
    "required_signatures": {"enabled": True},
    "required_conversation_resolution": {"enabled": True},
}


def _by_resource(findings: list[Finding]) -> dict[str, EvidenceStatus]:
    return {f.resource_id: f.status for f in findings}


# ---- ruleset bypass actors ---------------------------------------------------------------
@pytest.mark.parametrize(("actor", "named"), [
    ({"actor_id": 42, "actor_type": "Team", "bypass_mode": "always"}, "team 42 (always)"),
    ({"actor_id": 7, "actor_type": "Integration", "bypass_mode": "always"}, "GitHub App 7"),
    ({"actor_id": 9001, "actor_type": "RepositoryRole", "bypass_mode": "always"}, "custom repository role 9001"),
    ({"actor_id": 4, "actor_type": "RepositoryRole", "bypass_mode": "pull_request"},
     "write role (when merging pull requests)"),
    ({"actor_id": None, "actor_type": "DeployKey", "bypass_mode": "always"}, "deploy keys"),
    ({"actor_id": 1, "actor_type": "OrganizationAdmin", "bypass_mode": "exempt"},
     "organization admins (exempt from the rules)"),
])
def test_any_ruleset_bypass_actor_fails_the_admin_check_naming_it(
        github_server: GitHubServer, actor: dict, named: str) -> None:
    github_server.add_repo("api")
    github_server.add_ruleset("api", [{"type": "deletion"}, {"type": "non_fast_forward"}], bypass_actors=[actor])
    [finding] = run(ADMINS, github_server)
    assert finding.status == FAIL, finding.message
    assert named in finding.message and "ruleset 1000" in finding.message


def test_team_bypass_fails_even_when_classic_protection_enforces_admins(github_server: GitHubServer) -> None:
    github_server.add_repo("api").protect(enforce_admins={"enabled": True})
    github_server.add_ruleset("api", [{"type": "required_signatures"}],
                              bypass_actors=[{"actor_id": 42, "actor_type": "Team", "bypass_mode": "always"}])
    [finding] = run(ADMINS, github_server)
    assert finding.status == FAIL and "team 42" in finding.message
    assert finding.raw_data["enforce_admins_classic"] is True


def test_rulesets_nobody_may_bypass_pass_the_admin_check(github_server: GitHubServer) -> None:
    github_server.add_repo("api")
    github_server.add_ruleset("api", [{"type": "deletion"}], bypass_actors=[])
    github_server.add_ruleset("api", [{"type": "non_fast_forward"}], bypass_actors=[])
    [finding] = run(ADMINS, github_server)
    assert finding.status == PASS, finding.message


# ---- protection a non-admin token cannot read ----------------------------------------------
def test_protected_branch_unreadable_by_a_non_admin_token_is_error_not_fail(github_server: GitHubServer) -> None:
    repo = github_server.add_repo("api", admin=False)
    repo.protect(**FULL_CLASSIC)
    session = make_session(github_server)
    results = {key: get_check(key).run(session) for key in BRANCH_KEYS}
    assert github_server.request_count(r"/branches/main/protection$") == 1  # really asked, got 404
    statuses = {key: [f.status for f in findings] for key, findings in results.items()}
    assert statuses.pop("repository_default_branch_protection_enabled") == [PASS]  # GitHub says protected
    assert statuses == {key: [ERROR] for key in statuses}
    for key, [finding] in results.items():
        if key != "repository_default_branch_protection_enabled":
            assert "cannot read branch protection of acme/api@main" in finding.message, key
            assert "admin" in finding.message and "marks the branch protected" in finding.message
            assert finding.raw_data["classic_protection"] == "unreadable"


def test_rulesets_still_decide_when_classic_protection_is_unreadable(github_server: GitHubServer) -> None:
    github_server.add_repo("api", admin=False).protect()
    github_server.add_ruleset("api", [{"type": "deletion"}],
                              bypass_actors=[{"actor_id": 42, "actor_type": "Team", "bypass_mode": "always"}])
    assert [f.status for f in run("repository_default_branch_deletion_disabled", github_server)] == [PASS]
    # A hidden bypass list (GitHub shows it to admins only) cannot be judged either way.
    [finding] = run(ADMINS, github_server)
    assert finding.status == ERROR and "bypass list of ruleset(s) 1000" in finding.message


def test_unprotected_branch_read_by_a_non_admin_token_still_fails(github_server: GitHubServer) -> None:
    github_server.add_repo("api", admin=False)
    for key in BRANCH_KEYS:
        assert [f.status for f in run(key, github_server)] == [FAIL], key


def test_admin_token_reads_branch_not_protected_as_no_classic_rule(github_server: GitHubServer) -> None:
    github_server.add_repo("api")
    github_server.add_ruleset("api", [{"type": "deletion"}], bypass_actors=[])  # protected by a ruleset only
    [finding] = run("repository_default_branch_requires_signed_commits", github_server)
    assert finding.status == FAIL and finding.raw_data["classic_protection"] is False


def test_dependabot_setting_unreadable_without_admin_rights_is_error(github_server: GitHubServer) -> None:
    github_server.add_repo("on", admin=False, vulnerability_alerts=True)
    github_server.add_repo("off", admin=False, vulnerability_alerts=False)
    github_server.add_repo("forbidden")
    github_server.fail(r"/dependabot/alerts$", 403, "Resource not accessible by personal access token")
    github_server.fail(r"/repos/acme/forbidden/vulnerability-alerts$", 403, "Must have admin rights to Repository.")
    findings = run("repository_dependency_scanning_enabled", github_server)
    # GitHub answers a non-admin 404 whether alerts are on or off: neither may become FAIL.
    assert _by_resource(findings) == {"acme/on": ERROR, "acme/off": ERROR, "acme/forbidden": ERROR}
    off = next(f for f in findings if f.resource_id == "acme/off")
    assert "cannot read the Dependabot alert setting" in off.message and "admin" in off.message


def test_dependabot_alert_list_tells_any_token_whether_alerts_are_on(github_server: GitHubServer) -> None:
    """The open-alert list (which the alerts check reads anyway) answers 200 when alerts are on and 403
    "Dependabot alerts are disabled" when off, to non-admins too: no settings request per repository."""
    github_server.add_repo("on", admin=False, vulnerability_alerts=True)
    github_server.add_repo("off", admin=False, vulnerability_alerts=False)
    session = make_session(github_server)
    try:
        enabled = {f.resource_id: f.status for f in get_check("repository_dependency_scanning_enabled").run(session)}
        alerts = {f.resource_id: f.status
                  for f in get_check("repository_no_open_critical_dependabot_alerts").run(session)}
    finally:
        session.close()
    assert enabled == {"acme/on": PASS, "acme/off": FAIL}
    assert alerts == {"acme/on": PASS, "acme/off": ERROR}
    assert github_server.request_count(r"/vulnerability-alerts$") == 0
    assert github_server.request_count(r"/dependabot/alerts") == 2


def test_dependabot_off_read_by_an_admin_still_fails(github_server: GitHubServer) -> None:
    github_server.add_repo("api", vulnerability_alerts=False)
    assert [f.status for f in run("repository_dependency_scanning_enabled", github_server)] == [FAIL]


# ---- outside collaborators -------------------------------------------------------------------
def test_outside_collaborator_without_2fa_fails(github_server: GitHubServer) -> None:
    github_server.add_member("alice", two_factor=True)
    github_server.add_outside_collaborator("carol", two_factor=False)
    github_server.add_outside_collaborator("dave", two_factor=True)
    [finding] = run("organization_outside_collaborators_without_2fa", github_server)
    assert finding.status == FAIL and "carol" in finding.message and "dave" not in finding.message
    assert finding.raw_data["outside_collaborators_without_2fa"] == ["carol"]
    # The member check alone never saw carol: she is not a member.
    assert [f.status for f in run("organization_members_without_2fa", github_server)] == [PASS]


def test_outside_collaborators_with_2fa_pass(github_server: GitHubServer) -> None:
    github_server.add_outside_collaborator("dave", two_factor=True)
    [finding] = run("organization_outside_collaborators_without_2fa", github_server)
    assert finding.status == PASS and finding.resource_id == "acme"


def test_outside_collaborators_unreadable_is_error(github_server: GitHubServer) -> None:
    github_server.fail(r"/outside_collaborators$", 403, "Must be an organization owner.")
    [finding] = run("organization_outside_collaborators_without_2fa", github_server)
    assert finding.status == ERROR and "outside collaborators of 'acme'" in finding.message


# ---- a token that sees only some repositories ----------------------------------------------------
def _partially_visible(server: GitHubServer) -> None:
    for i in range(10):
        repo = server.add_repo(f"svc-{i}", private=i % 2 == 0, visible=i < 3)
        repo.protect(**FULL_CLASSIC)
        repo.files["CODEOWNERS"] = "* @acme/devs"
        repo.files["SECURITY.md"] = "mail security@"
        repo.files[".github/workflows/ci.yml"] = "on: push\njobs:\n  test:\n    steps:\n      - run: make test\n"


def test_repositories_the_token_cannot_see_keep_every_repository_check_from_passing(
        github_server: GitHubServer) -> None:
    _partially_visible(github_server)
    session = make_session(github_server)
    for key in REPO_KEYS:
        findings = get_check(key).run(session)
        gap = [f for f in findings if f.resource_id == "acme"]
        assert [f.status for f in gap] == [ERROR], key
        assert "The token sees 3 of 10 repositories of acme; the other 7 were not checked" in gap[0].message
        assert gap[0].raw_data["not_checked"] == 7
        assert {f.status for f in findings if f.resource_id != "acme"} == {PASS}, key
    report = session.coverage()
    assert report["provider"] == "github" and report["account"] == "acme"
    assert report["scanned"] == ["acme/svc-0", "acme/svc-1", "acme/svc-2"]
    assert report["repositories_in_organization"] == 10
    assert any("sees 3 of 10" in note for note in report["notes"])
    assert github_server.token not in str(report)


def test_a_failing_repository_still_fails_its_check_beside_the_coverage_error(github_server: GitHubServer) -> None:
    _partially_visible(github_server)
    github_server.repos["svc-1"].protect(allow_force_pushes={"enabled": True})
    findings = run("repository_default_branch_disallows_force_push", github_server)
    assert _by_resource(findings)["acme/svc-1"] == FAIL and _by_resource(findings)["acme"] == ERROR


def test_token_that_sees_every_repository_adds_nothing(github_server: GitHubServer) -> None:
    github_server.add_repo("api", private=True).protect()
    github_server.add_repo("site")
    findings = run("repository_default_branch_protection_enabled", github_server)
    assert {f.resource_id for f in findings} == {"acme/api", "acme/site"}
    session = make_session(github_server)
    get_check("repository_has_codeowners_file").run(session)
    assert session.coverage()["notes"] == [] and session.coverage()["repositories_seen"] == 2


def test_unseen_private_repositories_do_not_concern_a_check_of_public_ones(github_server: GitHubServer) -> None:
    github_server.add_repo("site").files["SECURITY.md"] = "mail security@"
    github_server.add_repo("secret", private=True, visible=False)
    session = make_session(github_server)
    assert [f.status for f in get_check("repository_public_has_securitymd_file").run(session)] == [PASS]
    assert _by_resource(get_check("repository_has_codeowners_file").run(session))["acme"] == ERROR


def test_hidden_private_count_is_noted_but_public_gap_still_errors(github_server: GitHubServer) -> None:
    github_server.org.update(owned_private_repos=None, total_private_repos=None)  # not an owner
    github_server.add_repo("private-api", private=True)
    session = make_session(github_server)
    assert [f.resource_id for f in get_check("repository_inactive_not_archived").run(session)] == [
        "acme/private-api"]
    [note] = session.coverage()["notes"]
    assert "cannot confirm that every private repository was read" in note
    github_server.add_repo("site", visible=False)
    findings = run("repository_inactive_not_archived", github_server)
    assert _by_resource(findings)["acme"] == ERROR


def test_token_that_sees_no_repository_of_a_non_empty_org_is_error_not_not_applicable(
        github_server: GitHubServer) -> None:
    github_server.add_repo("api", visible=False)
    [finding] = run_check(get_check("repository_secret_scanning_enabled"), make_session(github_server), "acme")
    assert finding.status == ERROR and "sees 0 of 1" in finding.message


# ---- nothing in scope -------------------------------------------------------------------------
def test_every_repository_check_is_not_applicable_without_repositories(github_server: GitHubServer) -> None:
    session = make_session(github_server)
    for key in REPO_KEYS:
        check = get_check(key)
        assert check.meta.when_empty == EvidenceStatus.NOT_APPLICABLE, key
        assert check.run(session) == [], key
        [row] = run_check(check, session, session.scope)
        assert row.status == EvidenceStatus.NOT_APPLICABLE and row.resource_id == "acme", key


def test_public_only_check_is_not_applicable_to_an_org_with_only_private_repositories(
        github_server: GitHubServer) -> None:
    github_server.add_repo("api", private=True)
    assert run("repository_public_has_securitymd_file", github_server) == []


def test_organization_checks_always_give_one_finding(github_server: GitHubServer) -> None:
    session = make_session(github_server)
    for check in GITHUB_CHECKS:
        if check.meta.service == "organization":
            assert [f.resource_id for f in check.run(session)] == ["acme"], check.meta.key
