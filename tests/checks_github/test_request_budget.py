"""How many requests a GitHub scan makes: list endpoints and shared reads answer what they can,
so a regression that goes back to one request per repository per question fails here."""

from __future__ import annotations

from compliance_app.checks.registry import get_check
from compliance_app.providers import github as github_provider
from tests.checks_github.helpers import make_session
from tests.support.github_server import GitHubServer, dependabot_alert

FILE_CHECKS = ("repository_has_codeowners_file", "repository_public_has_securitymd_file",
               "repository_workflows_no_untrusted_checkout")


def _run(server: GitHubServer, keys: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """{check: {repository: status}} of one scan (one session) running `keys`."""
    session = make_session(server)
    try:
        return {key: {f.resource_id: str(f.status) for f in get_check(key).run(session)} for key in keys}
    finally:
        session.close()


def test_file_checks_share_directory_listings(github_server: GitHubServer) -> None:
    """CODEOWNERS (3 places), SECURITY.md (3 places) and the workflows took up to 7 requests per
    repository, one per path; the listings of the directories they live in answer them all, the top
    directories of every repository in one GraphQL query."""
    github_server.add_repo("bare", private=False)  # nothing in it: no HEAD, as GitHub's 404 to the top listing
    github_server.add_repo("flat", private=False, files={"README.md": "x", "SECURITY.md": "mail us"})
    github_server.add_repo("nested", private=False, files={
        ".github/CODEOWNERS": "* @acme/core", "docs/SECURITY.md": "mail us",
        ".github/workflows/ci.yml": "on: push\njobs: {}\n"})
    results = _run(github_server, FILE_CHECKS)
    assert results["repository_has_codeowners_file"] == {
        "acme/bare": "FAIL", "acme/flat": "FAIL", "acme/nested": "PASS"}
    assert results["repository_public_has_securitymd_file"] == {
        "acme/bare": "FAIL", "acme/flat": "PASS", "acme/nested": "PASS"}
    contents = [p for _, p in github_server.requests if "/contents" in p]
    assert github_server.request_count(r"^/graphql$") == 1
    assert sorted(contents) == [
        "/repos/acme/nested/contents/.github", "/repos/acme/nested/contents/.github/workflows",
        "/repos/acme/nested/contents/.github/workflows/ci.yml", "/repos/acme/nested/contents/docs"]


def test_a_listing_github_may_have_cut_short_proves_no_file_absent(github_server: GitHubServer,
                                                                   monkeypatch) -> None:
    """The contents API lists at most 1,000 entries: from a listing that long the path is asked for itself."""
    monkeypatch.setattr(github_provider, "LISTING_LIMIT", 2)
    github_server.add_repo("big", files={"a.txt": "", "b.txt": "", "CODEOWNERS": "* @acme/core"})
    session = make_session(github_server)
    try:
        assert session.collect("first_file", repo="acme/big", paths=("CODEOWNERS",)) == "CODEOWNERS"
    finally:
        session.close()
    assert github_server.request_count(r"/contents/CODEOWNERS$") == 1


def test_repositories_are_asked_for_outside_collaborators_only_if_the_organization_has_any(
        github_server: GitHubServer) -> None:
    """An outside collaborator is a non-member with access to some repository of the organization: the
    organization's list (one request) answers for every repository when it is empty."""
    for name in ("api", "web", "docs"):
        github_server.add_repo(name)
    key = "repository_outside_collaborators_not_admin"
    assert _run(github_server, (key,))[key] == {"acme/api": "PASS", "acme/web": "PASS", "acme/docs": "PASS"}
    assert github_server.request_count(r"^/repos/acme/[^/]+/collaborators") == 0
    assert github_server.request_count(r"^/orgs/acme/outside_collaborators") == 1

    github_server.requests.clear()
    github_server.repos["web"].add_collaborator("mallory", permission="admin")
    assert _run(github_server, (key,))[key] == {"acme/api": "PASS", "acme/web": "FAIL", "acme/docs": "PASS"}
    assert github_server.request_count(r"^/repos/acme/[^/]+/collaborators") == 3

    github_server.requests.clear()
    github_server.fail(r"^/orgs/acme/outside_collaborators$", 403, "Must be an organization member.")
    assert _run(github_server, (key,))[key]["acme/web"] == "FAIL"  # the organization's list unreadable: each asked
    assert github_server.request_count(r"^/repos/acme/[^/]+/collaborators") == 3


BRANCH_CHECKS = ("repository_default_branch_protection_enabled", "repository_default_branch_requires_pr_reviews",
                 "repository_default_branch_deletion_disabled")


def test_an_admin_token_reads_branch_protection_in_one_request(github_server: GitHubServer) -> None:
    """The branch, then its protection, then its rules took up to 3 requests per repository; with an
    admin's token the protection endpoint alone says whether the branch exists and how it is protected."""
    github_server.add_repo("guarded").protect(required_pull_request_reviews={"required_approving_review_count": 1})
    github_server.add_repo("open")
    github_server.add_repo("empty").branches.clear()  # no commit yet: GitHub says "Branch not found"
    results = _run(github_server, BRANCH_CHECKS)
    assert results["repository_default_branch_protection_enabled"] == {"acme/guarded": "PASS", "acme/open": "FAIL"}
    assert results["repository_default_branch_requires_pr_reviews"] == {"acme/guarded": "PASS", "acme/open": "FAIL"}
    assert github_server.request_count(r"/branches/main$") == 0
    assert github_server.request_count(r"/branches/main/protection$") == 3
    assert github_server.request_count(r"/rules/branches/main(\?|$)") == 2


def test_protection_hidden_from_an_admin_token_is_read_as_for_any_token(github_server: GitHubServer) -> None:
    """A fine-grained token without 'Administration: read' gets a plain 404 even though its user is an
    admin: the branch is read and GitHub's `protected` flag still decides what it can."""
    github_server.add_repo("guarded").protect()
    github_server.fail(r"/branches/main/protection$", 404, "Not Found")
    results = _run(github_server, BRANCH_CHECKS)
    assert results["repository_default_branch_protection_enabled"] == {"acme/guarded": "PASS"}
    assert results["repository_default_branch_deletion_disabled"] == {"acme/guarded": "ERROR"}
    assert github_server.request_count(r"/branches/main$") == 1


def test_a_scan_makes_at_most_four_requests_per_repository(github_server: GitHubServer) -> None:
    """Every GitHub check of the catalog over N repositories (half protected, nothing else special):
    4 requests per repository (protection, rules, code scanning, workflow permissions), one GraphQL
    query per 50 repositories (their top directories and deploy keys) plus a fixed number for the
    organization. It was 13.5, then 7 (Dependabot alerts), then 6 (top directory and deploy keys
    read through REST)."""
    from compliance_app.checks.registry import checks_for
    from compliance_app.vocabulary import Provider

    def scan(repos: int) -> int:
        github_server.reset()
        for i in range(repos):
            repo = github_server.add_repo(f"service-{i:03d}", private=i % 3 != 0)
            if i % 2 == 0:
                repo.protect(required_pull_request_reviews={"required_approving_review_count": 1})
        _run(github_server, tuple(c.meta.key for c in checks_for(Provider.GITHUB)))
        return len(github_server.requests)

    small, large = scan(10), scan(30)
    assert github_server.request_count(r"^/graphql$") == 1
    assert (large - small) / 20 <= 4
    assert small <= 4 * 10 + 13
    assert scan(51) - large == 4 * 21 + 1  # and a second query for the 51st repository


DEPENDABOT_CHECKS = ("repository_dependency_scanning_enabled", "repository_no_open_critical_dependabot_alerts")
REPO_ALERTS = r"^/repos/acme/[^/]+/dependabot/alerts"


def _alerting_organization(server: GitHubServer) -> None:
    """Three repositories with Dependabot security updates on; 'api' has 120 open alerts (two pages of the
    organization's list), one of them critical; 'web' has a fixed critical one only."""
    server.add_repo("api").dependabot_alerts.extend(
        [dependabot_alert("low", number=n) for n in range(1, 120)] + [dependabot_alert("critical", number=120)])
    server.add_repo("web").dependabot_alerts.append(dependabot_alert("critical", state="fixed"))
    server.add_repo("docs")


def test_organization_alert_list_answers_for_repositories_whose_security_updates_are_on(
        github_server: GitHubServer) -> None:
    """Security updates are available only where Dependabot alerts are on, so for those repositories
    the organization's open-alert list (its pages) replaces one request per repository."""
    _alerting_organization(github_server)
    results = _run(github_server, DEPENDABOT_CHECKS)
    assert results["repository_dependency_scanning_enabled"] == {
        "acme/api": "PASS", "acme/web": "PASS", "acme/docs": "PASS"}
    assert results["repository_no_open_critical_dependabot_alerts"] == {
        "acme/api": "FAIL", "acme/web": "PASS", "acme/docs": "PASS"}
    assert github_server.request_count(REPO_ALERTS) == 0
    assert github_server.request_count(r"^/orgs/acme/dependabot/alerts") == 2  # 120 alerts, 100 a page


def test_each_repository_is_asked_when_the_organization_list_is_refused(github_server: GitHubServer) -> None:
    """A token whose user is no owner or security manager gets 403 on the organization's list: the
    repositories' own lists decide, with the same findings."""
    _alerting_organization(github_server)
    github_server.org_owner = False
    results = _run(github_server, DEPENDABOT_CHECKS)
    assert results["repository_no_open_critical_dependabot_alerts"] == {
        "acme/api": "FAIL", "acme/web": "PASS", "acme/docs": "PASS"}
    assert github_server.request_count(r"^/orgs/acme/dependabot/alerts") == 1
    assert github_server.request_count(REPO_ALERTS) == 4  # api's 120 alerts take two pages


def test_an_organization_list_github_fails_to_serve_is_tried_once_then_each_repository_asked(
        github_server: GitHubServer) -> None:
    """An outage of the organization's list costs its bounded attempts once per scan (the failure is
    memoized), then the repositories' own lists decide."""
    _alerting_organization(github_server)
    github_server.fail(r"^/orgs/acme/dependabot/alerts$", 502)
    session = make_session(github_server, max_attempts=2)
    try:
        critical = {f.resource_id: str(f.status)
                    for f in get_check("repository_no_open_critical_dependabot_alerts").run(session)}
    finally:
        session.close()
    assert critical == {"acme/api": "FAIL", "acme/web": "PASS", "acme/docs": "PASS"}
    assert github_server.request_count(r"^/orgs/acme/dependabot/alerts") == 2
    assert github_server.request_count(REPO_ALERTS) == 4


def test_a_repository_without_proof_that_its_alerts_are_on_is_asked_itself(github_server: GitHubServer) -> None:
    """Absent from the organization's list means "no open alert" only where alerts are proven on: with
    security updates off (alerts on or off), or the settings hidden, the repository's list is read."""
    github_server.add_repo("listed")
    github_server.add_repo("updates-off").security_and_analysis["dependabot_security_updates"] = {
        "status": "disabled"}
    github_server.add_repo("hidden", security_and_analysis=None).dependabot_alerts.append(
        dependabot_alert("high"))
    github_server.add_repo("alerts-off", vulnerability_alerts=False)  # GitHub then lists updates as off
    results = _run(github_server, DEPENDABOT_CHECKS)
    assert results["repository_dependency_scanning_enabled"] == {
        "acme/listed": "PASS", "acme/updates-off": "PASS", "acme/hidden": "PASS", "acme/alerts-off": "FAIL"}
    assert results["repository_no_open_critical_dependabot_alerts"] == {
        "acme/listed": "PASS", "acme/updates-off": "PASS", "acme/hidden": "FAIL", "acme/alerts-off": "ERROR"}
    asked = sorted(p.split("?")[0] for _, p in github_server.requests if "/repos/" in p and "/dependabot/" in p)
    assert asked == ["/repos/acme/alerts-off/dependabot/alerts", "/repos/acme/hidden/dependabot/alerts",
                     "/repos/acme/updates-off/dependabot/alerts"]


def test_code_scanning_of_a_private_repository_without_code_security_needs_no_request(
        github_server: GitHubServer) -> None:
    """GitHub offers code scanning on private repositories only with Code Security: where the listing says
    it (and Advanced Security) is disabled, the answer is "not scanned" without asking. Public
    repositories (scanned for free), and private ones whose listing does not prove it off, are asked."""
    off = {"code_security": {"status": "disabled"}, "advanced_security": {"status": "disabled"}}
    for name, private, extra in (("closed", True, off), ("open", False, off), ("licensed", True, {}),
                                 ("half", True, {"code_security": {"status": "disabled"}})):
        repo = github_server.add_repo(name, private=private)
        repo.security_and_analysis.update(extra)
    github_server.add_repo("hidden", private=True, security_and_analysis=None)
    key = "repository_code_scanning_enabled_no_open_critical_alerts"
    [results] = _run(github_server, (key,)).values()
    assert results == {"acme/closed": "FAIL", "acme/open": "PASS", "acme/licensed": "PASS", "acme/half": "PASS",
                       "acme/hidden": "PASS"}
    asked = sorted(p.split("?")[0] for _, p in github_server.requests if "/code-scanning/" in p)
    assert asked == [f"/repos/acme/{n}/code-scanning/alerts" for n in ("half", "hidden", "licensed", "open")]


def test_the_stand_in_refuses_code_scanning_of_such_a_repository_as_github_does(github_server: GitHubServer) -> None:
    """Asked anyway (the listing hidden from the session), GitHub's 403 gives the same finding."""
    github_server.add_repo("closed", private=True).security_and_analysis.update(
        code_security={"status": "disabled"}, advanced_security={"status": "disabled"})
    session = make_session(github_server)
    try:
        session.collect("repositories")[0]["security_and_analysis"] = None  # as for a token that cannot see it
        [finding] = get_check("repository_code_scanning_enabled_no_open_critical_alerts").run(session)
    finally:
        session.close()
    assert str(finding.status) == "FAIL" and "must be enabled" in finding.message
    assert github_server.request_count(r"/code-scanning/alerts") == 1
