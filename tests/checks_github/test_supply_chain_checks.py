"""The Actions and supply-chain GitHub checks pass, fail and error against the GitHub stand-in.

Each case sets up one organization or one repository ("acme/api") that passes and one that
fails; the ERROR cases make GitHub refuse or garble exactly what the check reads.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from compliance_app.checks.registry import get_check
from compliance_app.models import EvidenceStatus
from tests.catalog_cases import covers
from tests.checks_github.helpers import make_session, run
from tests.support.github_server import GitHubServer, code_scanning_alert, deploy_key

Setup = Callable[[GitHubServer], None]
ORG, REPO = "acme", "acme/api"
SHA = "8e5e7e5ab8b370d6c329ec480221332ada57f0ab"

SAFE_WORKFLOW = f"""
name: CI
on:
  pull_request:
  push:
    branches: [main]
permissions: read-all
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/setup-buildx-action@{SHA}  # v3
      - uses: ./.github/actions/setup
      - uses: acme/shared-actions/lint@main
      - run: make test
  release:
    uses: octo-org/workflows/.github/workflows/release.yml@{SHA}
"""
PWN_WORKFLOW = """
on: pull_request_target
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: npm ci && npm test
"""
UNPINNED_WORKFLOW = """
on: [push]
jobs:
  changed:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: tj-actions/changed-files@v45
"""
BROKEN_WORKFLOW = "on: push\njobs:\n  test: [unclosed\n"


def _org_setting(attribute: str, **values: object) -> Setup:
    return lambda s: getattr(s, attribute).update(values)


def _repo(setup: Callable[..., None] | None = None, **fields: object) -> Setup:
    def make(s: GitHubServer) -> None:
        repo = s.add_repo("api", **fields)
        if setup is not None:
            setup(repo)
    return make


def _workflow(text: str, name: str = "ci.yml") -> Setup:
    return _repo(lambda r: r.files.update({f".github/workflows/{name}": text, "README.md": "hi"}))


def _analysis(**statuses: str) -> dict:
    base = {"secret_scanning": "enabled", "secret_scanning_push_protection": "enabled",
            "dependabot_security_updates": "enabled"}
    return {k: {"status": v} for k, v in {**base, **statuses}.items()}


# key -> (resource, passing setup, failing setup)
CASES: dict[str, tuple[str, Setup, Setup]] = {
    "organization_actions_allowed_actions_restricted": (
        ORG, _org_setting("actions", allowed_actions="local_only"), _org_setting("actions", allowed_actions="all")),
    "organization_actions_default_workflow_permissions_read_only": (
        ORG, _org_setting("workflow_permissions", default_workflow_permissions="read"),
        _org_setting("workflow_permissions", default_workflow_permissions="write")),
    "organization_actions_fork_pr_workflows_approval_required": (
        ORG, _org_setting("fork_pr_approval", approval_policy="all_external_contributors"),
        _org_setting("fork_pr_approval", approval_policy="first_time_contributors_new_to_github")),
    "repository_actions_default_workflow_permissions_read_only": (
        REPO, _repo(), _repo(lambda r: r.workflow_permissions.update(default_workflow_permissions="write"))),
    "repository_secret_scanning_push_protection_enabled": (
        REPO, _repo(security_and_analysis=_analysis()),
        _repo(security_and_analysis=_analysis(secret_scanning_push_protection="disabled"))),
    "repository_dependabot_security_updates_enabled": (
        REPO, _repo(security_and_analysis=_analysis()),
        _repo(security_and_analysis=_analysis(dependabot_security_updates="disabled"))),
    "repository_code_scanning_enabled_no_open_critical_alerts": (
        REPO, _repo(lambda r: r.code_scanning_alerts.extend([
            code_scanning_alert("high", 1), code_scanning_alert("critical", 2, state="fixed")])),
        _repo(lambda r: r.code_scanning_alerts.append(code_scanning_alert("critical", 3)))),
    "repository_deploy_keys_read_only": (
        REPO, _repo(lambda r: r.deploy_keys.append(deploy_key("backup", read_only=True))),
        _repo(lambda r: r.deploy_keys.extend([deploy_key("backup", True, 1), deploy_key("ci-push", False, 2)]))),
    "repository_outside_collaborators_not_admin": (
        REPO, _repo(lambda r: (r.add_collaborator("vendor", "push"), r.add_collaborator("bob", "admin", False))),
        _repo(lambda r: r.add_collaborator("vendor", "admin"))),
    "repository_workflows_no_untrusted_checkout": (REPO, _workflow(SAFE_WORKFLOW), _workflow(PWN_WORKFLOW)),
    "repository_workflows_actions_pinned_to_sha": (REPO, _workflow(SAFE_WORKFLOW), _workflow(UNPINNED_WORKFLOW)),
    "repository_default_branch_requires_conversation_resolution": (
        REPO, _repo(lambda r: r.protect(required_conversation_resolution={"enabled": True})),
        _repo(lambda r: r.protect(required_conversation_resolution={"enabled": False}))),
}


@covers(sorted(CASES), "pass")
@pytest.mark.parametrize("key", sorted(CASES))
def test_check_passes(key: str, github_server: GitHubServer) -> None:
    resource, setup, _ = CASES[key]
    setup(github_server)
    findings = run(key, github_server)
    assert [(f.resource_id, f.status) for f in findings] == [(resource, EvidenceStatus.PASS)], findings
    assert findings[0].raw_data and resource in findings[0].message


@covers(sorted(CASES), "fail")
@pytest.mark.parametrize("key", sorted(CASES))
def test_check_fails(key: str, github_server: GitHubServer) -> None:
    resource, _, setup = CASES[key]
    setup(github_server)
    findings = run(key, github_server)
    assert [(f.resource_id, f.status) for f in findings] == [(resource, EvidenceStatus.FAIL)], findings
    assert findings[0].raw_data and resource in findings[0].message


ORG_ACTIONS = ["organization_actions_allowed_actions_restricted",
               "organization_actions_default_workflow_permissions_read_only",
               "organization_actions_fork_pr_workflows_approval_required"]


@covers(ORG_ACTIONS, "error")
@pytest.mark.parametrize("key", ORG_ACTIONS)
def test_organization_actions_settings_without_admin_org_are_errors(key: str, github_server: GitHubServer) -> None:
    github_server.scopes = "repo, read:org, security_events"
    github_server.actions.update(allowed_actions="all")  # would FAIL if it could be read
    [finding] = run(key, github_server)
    assert (finding.resource_id, finding.status) == (ORG, EvidenceStatus.ERROR)
    assert "the token lacks admin:org" in finding.message and "token has: repo" in finding.message


@pytest.mark.parametrize("key", ORG_ACTIONS)
def test_organization_actions_settings_hidden_from_non_owners_are_errors(key: str, github_server: GitHubServer) -> None:
    github_server.fail(r"^/orgs/acme/actions/permissions", 404)  # what a non-owner's token gets
    [finding] = run(key, github_server)
    assert finding.status == EvidenceStatus.ERROR and "the token lacks admin:org" in finding.message


def test_selected_actions_with_a_pattern_admitting_everything_fail(github_server: GitHubServer) -> None:
    github_server.selected_actions["patterns_allowed"] = ["octo-org/*", "*"]
    [finding] = run("organization_actions_allowed_actions_restricted", github_server)
    assert finding.status == EvidenceStatus.FAIL and "'*'" not in finding.message and "*" in finding.message
    github_server.selected_actions["patterns_allowed"] = ["octo-org/*"]
    [finding] = run("organization_actions_allowed_actions_restricted", github_server)
    assert finding.status == EvidenceStatus.PASS and finding.raw_data["patterns_allowed"] == ["octo-org/*"]


def test_actions_disabled_for_every_repository_passes(github_server: GitHubServer) -> None:
    github_server.actions.update(enabled_repositories="none", allowed_actions=None)
    [finding] = run("organization_actions_allowed_actions_restricted", github_server)
    assert finding.status == EvidenceStatus.PASS and "disabled" in finding.message


def test_workflow_token_that_may_approve_pull_requests_fails(github_server: GitHubServer) -> None:
    github_server.workflow_permissions["can_approve_pull_request_reviews"] = True
    [finding] = run("organization_actions_default_workflow_permissions_read_only", github_server)
    assert finding.status == EvidenceStatus.FAIL and "approve pull requests" in finding.message


@covers("repository_actions_default_workflow_permissions_read_only", "error")
def test_repository_workflow_permissions_without_admin_rights_are_errors(github_server: GitHubServer) -> None:
    github_server.add_repo("api", admin=False)
    [finding] = run("repository_actions_default_workflow_permissions_read_only", github_server)
    assert (finding.resource_id, finding.status) == (REPO, EvidenceStatus.ERROR)
    assert "HTTP 403" in finding.message and "admin rights" in finding.message


@covers(["repository_secret_scanning_push_protection_enabled", "repository_dependabot_security_updates_enabled"],
        "error")
@pytest.mark.parametrize("key", ["repository_secret_scanning_push_protection_enabled",
                                 "repository_dependabot_security_updates_enabled"])
def test_hidden_security_settings_are_errors(key: str, github_server: GitHubServer) -> None:
    github_server.add_repo("api", security_and_analysis=None)
    [finding] = run(key, github_server)
    assert (finding.resource_id, finding.status) == (REPO, EvidenceStatus.ERROR)
    assert "admin access" in finding.message


def test_code_scanning_never_run_fails_and_names_why(github_server: GitHubServer) -> None:
    github_server.add_repo("api", code_scanning_enabled=False)
    [finding] = run("repository_code_scanning_enabled_no_open_critical_alerts", github_server)
    assert finding.status == EvidenceStatus.FAIL and "not enabled" in finding.message
    assert finding.raw_data["github_says"] == "no analysis found"


def test_code_scanning_switched_off_fails(github_server: GitHubServer) -> None:
    github_server.add_repo("api", private=True)
    github_server.fail(r"/code-scanning/alerts$", 403,
                       "Code Security must be enabled for this repository to use code scanning.")
    [finding] = run("repository_code_scanning_enabled_no_open_critical_alerts", github_server)
    assert finding.status == EvidenceStatus.FAIL and "Code Security must be enabled" in finding.message


@covers("repository_code_scanning_enabled_no_open_critical_alerts", "error")
def test_code_scanning_alerts_unreadable_are_errors(github_server: GitHubServer) -> None:
    github_server.add_repo("api")
    github_server.fail(r"/code-scanning/alerts$", 403, "Resource not accessible by personal access token",
                       accepted_scopes="security_events", scopes="repo, read:org")
    [finding] = run("repository_code_scanning_enabled_no_open_critical_alerts", github_server)
    assert (finding.resource_id, finding.status) == (REPO, EvidenceStatus.ERROR)
    assert "lacks the 'security_events' scope" in finding.message


def test_code_scanning_alerts_on_other_pages_are_read(github_server: GitHubServer) -> None:
    github_server.add_repo("api").code_scanning_alerts.extend(
        [code_scanning_alert("low", n) for n in range(1, 151)] + [code_scanning_alert("critical", 151)])
    [finding] = run("repository_code_scanning_enabled_no_open_critical_alerts", github_server)
    assert finding.status == EvidenceStatus.FAIL and finding.raw_data["open_alerts"] == 151
    assert finding.raw_data["alerts"][0]["number"] == 151


@covers("repository_deploy_keys_read_only", "error")
def test_deploy_keys_without_admin_rights_are_errors(github_server: GitHubServer) -> None:
    github_server.add_repo("api", admin=False)
    [finding] = run("repository_deploy_keys_read_only", github_server)
    assert (finding.resource_id, finding.status) == (REPO, EvidenceStatus.ERROR)
    assert "deploy keys" in finding.message and "admin" in finding.message


def test_deploy_key_proof_names_the_key_but_not_its_material(github_server: GitHubServer) -> None:
    CASES["repository_deploy_keys_read_only"][2](github_server)
    [finding] = run("repository_deploy_keys_read_only", github_server)
    assert [k["title"] for k in finding.raw_data["writable"]] == ["ci-push"] and "ci-push" in finding.message
    assert "AAAA" not in str(finding.raw_data)


@covers("repository_outside_collaborators_not_admin", "error")
def test_outside_collaborators_unreadable_are_errors(github_server: GitHubServer) -> None:
    github_server.add_repo("api")
    github_server.add_outside_collaborator("carol")  # the organization has one: the repository must be asked
    github_server.fail(r"/collaborators$", 403, "Must have push access to view repository collaborators.")
    [finding] = run("repository_outside_collaborators_not_admin", github_server)
    assert (finding.resource_id, finding.status) == (REPO, EvidenceStatus.ERROR)
    assert "push access" in finding.message


def test_outside_admin_of_an_archived_repository_still_fails(github_server: GitHubServer) -> None:
    github_server.add_repo("old", archived=True).add_collaborator("vendor", "admin")
    [finding] = run("repository_outside_collaborators_not_admin", github_server)
    assert finding.status == EvidenceStatus.FAIL and "vendor" in finding.message


WORKFLOW_CHECKS = ["repository_workflows_no_untrusted_checkout", "repository_workflows_actions_pinned_to_sha"]


@covers(WORKFLOW_CHECKS, "error")
@pytest.mark.parametrize("key", WORKFLOW_CHECKS)
def test_unparseable_workflow_is_an_error_naming_the_file(key: str, github_server: GitHubServer) -> None:
    _workflow(BROKEN_WORKFLOW, name="broken.yaml")(github_server)
    [finding] = run(key, github_server)
    assert (finding.resource_id, finding.status) == (REPO, EvidenceStatus.ERROR)
    assert ".github/workflows/broken.yaml" in finding.message and "not valid YAML" in finding.message


@pytest.mark.parametrize("key", WORKFLOW_CHECKS)
def test_unreadable_workflow_directory_is_an_error(key: str, github_server: GitHubServer) -> None:
    _workflow(SAFE_WORKFLOW)(github_server)
    github_server.fail(r"/contents/\.github/workflows$", 500)
    [finding] = run(key, github_server, max_attempts=1)
    assert finding.status == EvidenceStatus.ERROR and "HTTP 500" in finding.message


def test_a_failing_file_decides_even_next_to_an_unparseable_one(github_server: GitHubServer) -> None:
    def setup(repo: object) -> None:
        repo.files.update({".github/workflows/a.yml": BROKEN_WORKFLOW, ".github/workflows/b.yml": PWN_WORKFLOW})
    _repo(setup)(github_server)
    [finding] = run("repository_workflows_no_untrusted_checkout", github_server)
    assert finding.status == EvidenceStatus.FAIL and "b.yml" in finding.message
    assert "a.yml" in finding.raw_data["unreadable"][0]


def test_repositories_without_workflows_are_not_applicable(github_server: GitHubServer) -> None:
    github_server.add_repo("docs").files["README.md"] = "hi"
    for key in WORKFLOW_CHECKS:
        assert run(key, github_server) == []


def test_workflows_are_read_once_for_both_checks(github_server: GitHubServer) -> None:
    _workflow(UNPINNED_WORKFLOW)(github_server)
    session = make_session(github_server)
    for key in WORKFLOW_CHECKS:
        get_check(key).run(session)
    assert github_server.request_count(r"/contents/\.github/workflows/ci\.yml$") == 1
    assert github_server.request_count(r"/contents/\.github/workflows$") == 1


@covers("repository_default_branch_requires_conversation_resolution", "error")
def test_conversation_resolution_unreadable_classic_protection_is_error(github_server: GitHubServer) -> None:
    repo = github_server.add_repo("api", admin=False)
    repo.protect(required_conversation_resolution={"enabled": True})
    [finding] = run("repository_default_branch_requires_conversation_resolution", github_server)
    assert (finding.resource_id, finding.status) == (REPO, EvidenceStatus.ERROR)
    assert "admin" in finding.message


def test_conversation_resolution_by_ruleset_passes(github_server: GitHubServer) -> None:
    github_server.add_repo("api")
    github_server.add_ruleset("api", rules=[{"type": "pull_request", "parameters": {
        "required_approving_review_count": 1, "required_review_thread_resolution": True}}])
    [finding] = run("repository_default_branch_requires_conversation_resolution", github_server)
    assert finding.status == EvidenceStatus.PASS and finding.raw_data["by_ruleset"] is True


def test_only_yaml_files_directly_in_the_workflows_directory_are_workflows(github_server: GitHubServer) -> None:
    def setup(repo: object) -> None:
        repo.files.update({".github/workflows/ci.yml": SAFE_WORKFLOW,
                           ".github/workflows/templates/pwn.yml": PWN_WORKFLOW,  # GitHub never runs it
                           ".github/workflows/README.md": PWN_WORKFLOW})
    _repo(setup)(github_server)
    [finding] = run("repository_workflows_no_untrusted_checkout", github_server)
    assert finding.status == EvidenceStatus.PASS and finding.raw_data["workflows"] == [".github/workflows/ci.yml"]
