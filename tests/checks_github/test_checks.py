"""Every GitHub check passes and fails end-to-end against the local GitHub stand-in."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from compliance_app.models import EvidenceStatus
from tests.catalog_cases import covers
from tests.checks_github.helpers import run
from tests.support.github_server import GitHubServer, days_ago, dependabot_alert

Setup = Callable[[GitHubServer], None]


def _org(**settings: object) -> Setup:
    return lambda s: s.org.update(settings)


def _members(*specs: tuple[str, bool, str]) -> Setup:
    def setup(s: GitHubServer) -> None:
        for login, two_factor, role in specs:
            s.add_member(login, two_factor=two_factor, role=role)
    return setup


def _outside(*specs: tuple[str, bool]) -> Setup:
    def setup(s: GitHubServer) -> None:
        for login, two_factor in specs:
            s.add_outside_collaborator(login, two_factor=two_factor)
    return setup


def _hook(url: str, insecure_ssl: str = "0") -> Setup:
    return lambda s: s.add_hook(url, insecure_ssl=insecure_ssl)


def _repo(protect: dict | None = None, files: dict | None = None, alerts: list | None = None,
          **fields: object) -> Setup:
    def setup(s: GitHubServer) -> None:
        repo = s.add_repo("api", **fields)
        if protect is not None:
            repo.protect(**protect)
        repo.files.update(files or {})
        repo.dependabot_alerts.extend(alerts or [])
    return setup


def _reviews(**kw: object) -> dict:
    return {"required_pull_request_reviews": {"required_approving_review_count": 1, **kw}}


ORG = "acme"
REPO = "acme/api"

# key -> (resource, passing setup, failing setup)
CASES: dict[str, tuple[str, Setup, Setup]] = {
    "organization_members_mfa_required": (
        ORG, _org(two_factor_requirement_enabled=True), _org(two_factor_requirement_enabled=False)),
    "organization_members_without_2fa": (
        ORG, _members(("alice", True, "member")), _members(("alice", True, "member"), ("bob", False, "member"))),
    "organization_outside_collaborators_without_2fa": (
        ORG, _outside(("dave", True)), _outside(("dave", True), ("carol", False))),
    "organization_default_repository_permission_strict": (
        ORG, _org(default_repository_permission="none"), _org(default_repository_permission="write")),
    "organization_repository_creation_limited": (
        ORG, _org(members_can_create_public_repositories=False),
        _org(members_can_create_public_repositories=True)),
    "organization_repository_deletion_limited": (
        ORG, _org(members_can_delete_repositories=False), _org(members_can_delete_repositories=True)),
    "organization_admins_limited": (
        ORG, _members(("a", True, "admin"), ("b", True, "admin"), ("c", True, "member")),
        _members(*[(f"owner{i}", True, "admin") for i in range(4)])),
    "organization_webhooks_secure": (
        ORG, _hook("https://hooks.example.com/ci"), _hook("http://hooks.example.com/ci")),
    "repository_default_branch_protection_enabled": (REPO, _repo(protect={}), _repo()),
    "repository_default_branch_requires_pr_reviews": (REPO, _repo(protect=_reviews()), _repo(protect={})),
    "repository_default_branch_disallows_force_push": (
        REPO, _repo(protect={}), _repo(protect={"allow_force_pushes": {"enabled": True}})),
    "repository_default_branch_dismisses_stale_reviews": (
        REPO, _repo(protect=_reviews(dismiss_stale_reviews=True)),
        _repo(protect=_reviews(dismiss_stale_reviews=False))),
    "repository_default_branch_requires_signed_commits": (
        REPO, _repo(protect={"required_signatures": {"enabled": True}}), _repo(protect={})),
    "repository_default_branch_deletion_disabled": (
        REPO, _repo(protect={}), _repo(protect={"allow_deletions": {"enabled": True}})),
    "repository_default_branch_status_checks_required": (
        REPO, _repo(protect={"required_status_checks": {"strict": True, "contexts": ["ci/test"]}}),
        _repo(protect={"required_status_checks": {"strict": True, "contexts": []}})),
    "repository_default_branch_protection_applies_to_admins": (
        REPO, _repo(protect={"enforce_admins": {"enabled": True}}), _repo(protect={})),
    "repository_default_branch_requires_codeowners_review": (
        REPO, _repo(protect=_reviews(require_code_owner_reviews=True)), _repo(protect=_reviews())),
    "repository_secret_scanning_enabled": (
        REPO, _repo(), _repo(security_and_analysis={"secret_scanning": {"status": "disabled"}})),
    "repository_dependency_scanning_enabled": (
        REPO, _repo(vulnerability_alerts=True), _repo(vulnerability_alerts=False)),
    "repository_no_open_critical_dependabot_alerts": (
        REPO, _repo(alerts=[dependabot_alert("low"), dependabot_alert("critical", state="fixed")]),
        _repo(alerts=[dependabot_alert("critical", number=7)])),
    "repository_has_codeowners_file": (
        REPO, _repo(files={".github/CODEOWNERS": "* @acme/devs"}), _repo(files={"README.md": "hi"})),
    "repository_public_has_securitymd_file": (
        REPO, _repo(files={"SECURITY.md": "mail security@"}), _repo(private=False)),
    "repository_inactive_not_archived": (
        REPO, _repo(pushed_at=days_ago(10)), _repo(pushed_at=days_ago(400))),
}


def test_every_github_check_has_a_case() -> None:
    from compliance_app.checks.registry import checks_for
    from compliance_app.models import Provider
    from tests.checks_github.test_supply_chain_checks import CASES as SUPPLY_CHAIN_CASES

    assert {c.meta.key for c in checks_for(Provider.GITHUB)} == set(CASES) | set(SUPPLY_CHAIN_CASES)


@pytest.mark.parametrize("key", sorted(CASES))
@covers(CASES, "pass")
def test_check_passes(key: str, github_server: GitHubServer) -> None:
    resource, setup, _ = CASES[key]
    setup(github_server)
    findings = run(key, github_server)
    assert [(f.resource_id, f.status) for f in findings] == [(resource, EvidenceStatus.PASS)], findings
    assert findings[0].raw_data and resource in findings[0].message


@pytest.mark.parametrize("key", sorted(CASES))
@covers(CASES, "fail")
def test_check_fails(key: str, github_server: GitHubServer) -> None:
    resource, _, setup = CASES[key]
    setup(github_server)
    findings = run(key, github_server)
    assert [(f.resource_id, f.status) for f in findings] == [(resource, EvidenceStatus.FAIL)], findings
    assert findings[0].raw_data and resource in findings[0].message


def test_failing_proofs_name_what_decided(github_server: GitHubServer) -> None:
    _members(("alice", True, "member"), ("bob", False, "member"))(github_server)
    [finding] = run("organization_members_without_2fa", github_server)
    assert finding.raw_data["members_without_2fa"] == ["bob"] and "bob" in finding.message
    _repo(alerts=[dependabot_alert("high", package="left-pad", number=3)])(github_server)
    [finding] = run("repository_no_open_critical_dependabot_alerts", github_server)
    assert finding.raw_data["alerts"][0]["package"] == "left-pad"


def test_webhook_proof_drops_query_strings(github_server: GitHubServer) -> None:
    github_server.add_hook("http://user:pw@hooks.example.com/ci?key=s3cr3t")
    [finding] = run("organization_webhooks_secure", github_server)
    assert finding.status == EvidenceStatus.FAIL
    assert "s3cr3t" not in str(finding.raw_data) and "pw" not in str(finding.raw_data)


def test_archived_repos_are_skipped_except_by_the_archive_check(github_server: GitHubServer) -> None:
    github_server.add_repo("old", archived=True, pushed_at=days_ago(900))
    assert run("repository_default_branch_protection_enabled", github_server) == []
    assert run("repository_secret_scanning_enabled", github_server) == []
    [finding] = run("repository_inactive_not_archived", github_server)
    assert finding.status == EvidenceStatus.PASS


def test_private_repos_are_skipped_by_public_only_checks(github_server: GitHubServer) -> None:
    github_server.add_repo("internal", private=True)
    assert run("repository_public_has_securitymd_file", github_server) == []
    assert len(run("repository_has_codeowners_file", github_server)) == 1


def test_empty_repository_is_not_applicable_to_branch_checks(github_server: GitHubServer) -> None:
    repo = github_server.add_repo("empty")
    repo.branches.clear()
    assert run("repository_default_branch_protection_enabled", github_server) == []


def test_one_finding_per_repository(github_server: GitHubServer) -> None:
    for i in range(130):  # more than one page of 100
        github_server.add_repo(f"svc-{i:03d}")
    github_server.repos["svc-007"].protect()
    findings = run("repository_default_branch_protection_enabled", github_server)
    assert len(findings) == 130 and len({f.resource_id for f in findings}) == 130
    assert [f.resource_id for f in findings if f.status == EvidenceStatus.PASS] == ["acme/svc-007"]
    assert github_server.request_count(r"/orgs/acme/repos") == 2
