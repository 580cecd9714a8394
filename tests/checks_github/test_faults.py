"""What GitHub cannot tell us becomes ERROR with a readable reason — never PASS."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from compliance_app.checks.registry import checks_for
from compliance_app.models import EvidenceStatus, Provider
from compliance_app.providers.base import CollectionError
from compliance_app.providers.github import GitHubSession
from tests.checks_github.helpers import make_session, run
from tests.support.github_server import GitHubServer

ALL_GITHUB = checks_for(Provider.GITHUB)


def _statuses(findings: list) -> list[EvidenceStatus]:
    return [f.status for f in findings]


def test_bad_token_makes_every_check_error(github_server: GitHubServer) -> None:
    github_server.add_repo("api").protect()
    session = make_session(github_server, token="ghp_wrong_token_value")
    for check in ALL_GITHUB:
        [finding] = check.run(session)
        assert finding.status == EvidenceStatus.ERROR, check.meta.key
        assert "401" in finding.message and "token" in finding.message
        assert "ghp_wrong_token_value" not in json.dumps(finding.raw_data) + finding.message


def test_missing_scope_is_named(github_server: GitHubServer) -> None:
    github_server.fail(r"^/orgs/acme/members$", 403, "Must have admin rights",
                       accepted_scopes="admin:org, read:org, write:org", scopes="repo")
    [finding] = run("organization_members_without_2fa", github_server)
    assert finding.status == EvidenceStatus.ERROR
    assert "lacks the 'read:org' scope" in finding.message and "token has: repo" in finding.message


def test_forbidden_without_scope_headers_still_explains(github_server: GitHubServer) -> None:
    github_server.add_repo("api")
    github_server.fail(r"/dependabot/alerts$", 403, "Dependabot alerts are disabled for this repository.")
    [finding] = run("repository_no_open_critical_dependabot_alerts", github_server)
    assert finding.status == EvidenceStatus.ERROR and finding.resource_id == "acme/api"
    assert "HTTP 403" in finding.message and "Dependabot alerts are disabled" in finding.message


def test_organization_not_found(github_server: GitHubServer) -> None:
    [finding] = run("organization_members_mfa_required", github_server, github_org="ghost")
    assert finding.status == EvidenceStatus.ERROR and finding.resource_id == "ghost"
    assert "404" in finding.message


def test_server_errors_are_retried_a_bounded_number_of_times(github_server: GitHubServer) -> None:
    github_server.add_repo("api")
    github_server.fail(r"/repos/acme/api/branches/main/protection$", 502)
    [finding] = run("repository_default_branch_protection_enabled", github_server, max_attempts=3)
    assert finding.status == EvidenceStatus.ERROR and "HTTP 502" in finding.message
    assert "3 attempts" in finding.message
    assert github_server.request_count(r"/repos/acme/api/branches/main/protection$") == 3


def test_transient_server_error_recovers(github_server: GitHubServer) -> None:
    github_server.fail(r"^/orgs/acme$", 503, times=1)
    [finding] = run("organization_members_mfa_required", github_server)
    assert finding.status == EvidenceStatus.PASS


def test_secondary_rate_limit_gives_up_within_the_bound(github_server: GitHubServer) -> None:
    github_server.secondary_rate_limit(r"^/orgs/acme$", retry_after=30)
    started = time.monotonic()
    [finding] = run("organization_members_mfa_required", github_server, rate_limit_wait=1)
    assert time.monotonic() - started < 2
    assert finding.status == EvidenceStatus.ERROR and "rate limit" in finding.message


def test_secondary_rate_limit_waits_when_allowed(github_server: GitHubServer) -> None:
    github_server.secondary_rate_limit(r"^/orgs/acme$", retry_after=1, times=1)
    started = time.monotonic()
    [finding] = run("organization_members_mfa_required", github_server, rate_limit_wait=5)
    assert finding.status == EvidenceStatus.PASS
    assert time.monotonic() - started >= 1


def test_missing_security_settings_is_error(github_server: GitHubServer) -> None:
    github_server.add_repo("api", security_and_analysis=None)
    [finding] = run("repository_secret_scanning_enabled", github_server)
    assert finding.status == EvidenceStatus.ERROR and "admin access" in finding.message


def test_org_fields_hidden_from_non_owners_are_errors(github_server: GitHubServer) -> None:
    github_server.org.pop("two_factor_requirement_enabled")
    [finding] = run("organization_members_mfa_required", github_server)
    assert finding.status == EvidenceStatus.ERROR and "owner" in finding.message


def test_unreachable_endpoint_is_error() -> None:
    session = GitHubSession({"github_org": "acme", "base_url": "http://127.0.0.1:9", "max_attempts": 1},
                            {"token": "ghp_x"})
    [finding] = ALL_GITHUB[0].run(session)
    assert finding.status == EvidenceStatus.ERROR and "Cannot reach GitHub" in finding.message


def test_session_needs_org_and_token() -> None:
    with pytest.raises(CollectionError, match="organization"):
        GitHubSession({}, {"token": "x"})
    with pytest.raises(CollectionError, match="token"):
        GitHubSession({"github_org": "acme"}, {})


def test_concurrent_checks_share_api_calls_and_never_leak_the_token(github_server: GitHubServer) -> None:
    github_server.latency = 0.02
    for i in range(5):
        github_server.add_repo(f"r{i}").protect()
    session = make_session(github_server)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda c: c.run(session), ALL_GITHUB))
    findings = [f for batch in results for f in batch]
    assert all(f.status != EvidenceStatus.ERROR for f in findings), [f.message for f in findings
                                                                    if f.status == EvidenceStatus.ERROR]
    assert github_server.request_count(r"^/orgs/acme\?|^/orgs/acme$") == 1
    assert github_server.request_count(r"^/orgs/acme/repos") == 1
    assert github_server.request_count(r"/repos/acme/r0/branches/main/protection$") == 1
    dumped = json.dumps([f.raw_data for f in findings]) + " ".join(f.message for f in findings)
    assert github_server.token not in dumped
    assert github_server.token not in repr(session)
