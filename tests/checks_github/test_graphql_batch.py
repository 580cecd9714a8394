"""Top directories and deploy keys of many repositories in one GraphQL query (providers/github_batch.py):
the same findings as the per-repository REST reads, errors kept to the repository they concern, and the
REST reads again wherever the query cannot settle a fact."""

from __future__ import annotations

import time
from typing import Any

import pytest

from compliance_app.checks.registry import get_check
from compliance_app.providers import callchain
from compliance_app.providers import github as github_provider
from compliance_app.providers.github_batch import CHUNK, rest_entry
from tests.checks_github.helpers import make_session
from tests.support.github_server import GitHubServer, deploy_key

KEYS, CODEOWNERS = "repository_deploy_keys_read_only", "repository_has_codeowners_file"
GRAPHQL, ROOT_LISTING, REST_KEYS = r"^/graphql$", r"^/repos/acme/[^/]+/contents/$", r"^/repos/acme/[^/]+/keys"


def _run(server: GitHubServer, *keys: str, **config: Any) -> dict[str, dict[str, tuple[str, str]]]:
    """{check: {repository: (status, message)}} of one scan (one session) running `keys`."""
    session = make_session(server, **config)
    try:
        return {key: {f.resource_id: (str(f.status), f.message) for f in get_check(key).run(session)}
                for key in keys}
    finally:
        session.close()


def _statuses(results: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {repo: status for repo, (status, _) in results.items()}


def _organization(server: GitHubServer) -> None:
    """'owned' has CODEOWNERS and a writable deploy key, 'keyed' a read-only key, 'plain' neither."""
    server.add_repo("owned", files={"CODEOWNERS": "* @acme/core"}).deploy_keys.append(deploy_key("ci", False))
    server.add_repo("keyed", files={"README.md": "x"}).deploy_keys.append(deploy_key("backup", True))
    server.add_repo("plain", files={"README.md": "x"})


EXPECTED_KEYS = {"acme/owned": "FAIL", "acme/keyed": "PASS", "acme/plain": "PASS"}
EXPECTED_CODEOWNERS = {"acme/owned": "PASS", "acme/keyed": "FAIL", "acme/plain": "FAIL"}


def test_one_query_answers_the_top_directories_and_deploy_keys_of_many_repositories(
        github_server: GitHubServer) -> None:
    """120 repositories: 3 queries (50 a query), no REST read of a top directory or deploy key list."""
    for i in range(120):
        repo = github_server.add_repo(f"r{i:03d}", files={"CODEOWNERS": "x"} if i % 2 else {"README.md": "x"})
        if i == 7:
            repo.deploy_keys.append(deploy_key("push", read_only=False))
    results = _run(github_server, KEYS, CODEOWNERS)
    assert github_server.request_count(GRAPHQL) == -(-120 // CHUNK) == 3
    assert github_server.request_count(ROOT_LISTING) == github_server.request_count(REST_KEYS) == 0
    keys = _statuses(results[KEYS])
    assert keys.pop("acme/r007") == "FAIL" and set(keys.values()) == {"PASS"} and len(keys) == 119
    assert "push" in results[KEYS]["acme/r007"][1]
    assert _statuses(results[CODEOWNERS]) == {f"acme/r{i:03d}": "PASS" if i % 2 else "FAIL" for i in range(120)}


def test_deploy_keys_a_non_admin_may_not_read_are_an_error_of_that_repository_only(
        github_server: GitHubServer) -> None:
    """GitHub answers FORBIDDEN on `deployKeys` (its repository field then null): that repository is ERROR
    with the admin-rights reason; its top directory and the other repositories are still read."""
    _organization(github_server)
    github_server.repos["owned"].admin = False
    results = _run(github_server, KEYS, CODEOWNERS)
    status, message = results[KEYS]["acme/owned"]
    assert status == "ERROR" and "deploy keys of acme/owned" in message and "admin rights" in message
    assert _statuses(results[KEYS]) == {**EXPECTED_KEYS, "acme/owned": "ERROR"}
    assert _statuses(results[CODEOWNERS]) == EXPECTED_CODEOWNERS
    assert github_server.request_count(GRAPHQL) == 1
    assert github_server.request_count(ROOT_LISTING) == github_server.request_count(REST_KEYS) == 0


@pytest.mark.parametrize("fault", [{"status": 502}, {"status": 200, "message": "GraphQL is disabled"},
                                   {"status": 403, "message": "API rate limit exceeded for user."}])
def test_a_query_that_keeps_failing_falls_back_to_each_repositorys_rest_reads(
        github_server: GitHubServer, fault: dict[str, Any]) -> None:
    """An outage, an answer without data, a rate limit beyond the wait: the query's failure is memoized
    (tried once per scan) and every repository's REST reads give the same findings."""
    _organization(github_server)
    github_server.fail(GRAPHQL, **fault)
    results = _run(github_server, KEYS, CODEOWNERS, max_attempts=2)
    assert _statuses(results[KEYS]) == EXPECTED_KEYS
    assert _statuses(results[CODEOWNERS]) == EXPECTED_CODEOWNERS
    assert github_server.request_count(GRAPHQL) == (2 if fault["status"] == 502 else 1)
    assert github_server.request_count(ROOT_LISTING) == github_server.request_count(REST_KEYS) == 3


def test_a_secondary_rate_limit_on_the_query_is_waited_out_like_on_rest(github_server: GitHubServer) -> None:
    _organization(github_server)
    github_server.secondary_rate_limit(GRAPHQL, retry_after=1, times=1)
    results = _run(github_server, KEYS, rate_limit_wait=5)
    assert _statuses(results[KEYS]) == EXPECTED_KEYS
    assert github_server.request_count(GRAPHQL) == 2 and github_server.request_count(REST_KEYS) == 0


def test_a_repository_gone_since_the_listing_is_an_error_of_its_own(github_server: GitHubServer) -> None:
    """NOT_FOUND on one repository (deleted, or the token lost sight of it after the listing): ERROR for
    it, with REST's 404 wording, not "no CODEOWNERS" or "no deploy keys"."""
    _organization(github_server)
    session = make_session(github_server)
    try:
        session.collect("repositories")
        github_server.repos["plain"].visible = False
        codeowners = {f.resource_id: f for f in get_check(CODEOWNERS).run(session)}
        keys = {f.resource_id: f for f in get_check(KEYS).run(session)}
    finally:
        session.close()
    for findings, expected in ((codeowners, EXPECTED_CODEOWNERS), (keys, EXPECTED_KEYS)):
        assert {r: str(f.status) for r, f in findings.items()} == {**expected, "acme/plain": "ERROR"}
        assert "GitHub returned 404" in findings["acme/plain"].message
    assert github_server.request_count(ROOT_LISTING) == github_server.request_count(REST_KEYS) == 0


def test_an_empty_repository_has_no_top_directory(github_server: GitHubServer) -> None:
    """No commit, no HEAD: the query answers `object` null, read as REST's 404 (no file there)."""
    github_server.add_repo("empty")
    results = _run(github_server, CODEOWNERS, KEYS)
    assert _statuses(results[CODEOWNERS]) == {"acme/empty": "FAIL"}
    assert _statuses(results[KEYS]) == {"acme/empty": "PASS"}
    assert github_server.request_count(r"/contents/") == 0


def test_a_long_top_directory_from_the_query_proves_no_file_absent(github_server: GitHubServer,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """LISTING_LIMIT entries or more: the path is asked for itself, as for a REST listing."""
    monkeypatch.setattr(github_provider, "LISTING_LIMIT", 2)
    github_server.add_repo("big", files={"a.txt": "", "b.txt": "", "c.txt": ""})
    session = make_session(github_server)
    try:
        assert session.collect("first_file", repo="acme/big", paths=("CODEOWNERS",)) is None
    finally:
        session.close()
    assert github_server.request_count(r"/contents/CODEOWNERS$") == 1
    assert github_server.request_count(ROOT_LISTING) == 0


def test_more_deploy_keys_than_one_page_are_read_whole_through_rest(github_server: GitHubServer) -> None:
    """101 keys: the query's page says hasNextPage, so that repository's REST list (two pages) is read."""
    many = github_server.add_repo("many")
    many.deploy_keys.extend(deploy_key(f"k{n}", read_only=n != 101, key_id=n) for n in range(1, 102))
    github_server.add_repo("few").deploy_keys.append(deploy_key("one"))
    results = _run(github_server, KEYS)
    assert _statuses(results[KEYS]) == {"acme/many": "FAIL", "acme/few": "PASS"}
    assert "k101" in results[KEYS]["acme/many"][1]
    assert github_server.request_count(r"^/repos/acme/many/keys") == 2
    assert github_server.request_count(r"^/repos/acme/few/keys") == 0


def test_the_query_continues_the_call_chain_of_the_listing(github_server: GitHubServer) -> None:
    """Listing (1), then the query (2): readers of the memoized answers continue that chain."""
    _organization(github_server)
    callchain.start_chain()
    with callchain.recording() as recorder:
        _run(github_server, KEYS)
    assert recorder.longest == 2
    assert sum(n for (_, op, key), n in recorder.calls.items() if op == "POST" and key.startswith("/graphql")) == 1


def test_tree_entries_are_given_rest_types() -> None:
    """GraphQL's blob/tree/commit and a symbolic link's mode (as an Int, either reading) in REST's words."""
    assert rest_entry({"name": "a", "type": "blob", "mode": 0o100644}) == {"name": "a", "path": "a", "type": "file"}
    assert rest_entry({"name": "d", "type": "tree", "mode": 0o040000})["type"] == "dir"
    assert rest_entry({"name": "m", "type": "commit", "mode": 0o160000})["type"] == "submodule"
    assert rest_entry({"name": "l", "type": "blob", "mode": 0o120000})["type"] == "symlink"
    assert rest_entry({"name": "l", "type": "blob", "mode": 120000})["type"] == "symlink"
    assert rest_entry({"name": "x", "type": "tag", "mode": 0}) is None


@pytest.mark.parametrize(("base_url", "endpoint"), [
    ("https://api.github.com", "https://api.github.com/graphql"),
    ("https://github.example.com/api/v3", "https://github.example.com/api/graphql")])
def test_the_query_goes_to_githubs_graphql_endpoint(base_url: str, endpoint: str) -> None:
    """github.com's, or GitHub Enterprise's beside its REST API (.../api/v3 -> .../api/graphql)."""
    session = github_provider.GitHubSession({"github_org": "acme", "base_url": base_url}, {"token": "t"})
    try:
        assert session.client().requester.graphql_url == endpoint
    finally:
        session.close()


def test_the_stand_in_validates_queries_as_github_does(github_server: GitHubServer) -> None:
    """A field GitHub's schema does not have is refused (no data), so the provider's queries are checked."""
    import requests

    answer = requests.post(f"{github_server.base_url}/graphql", timeout=5,
                           headers={"Authorization": f"Bearer {github_server.token}"},
                           json={"query": "{ repository(owner: \"acme\", name: \"x\") { lastUsed } }"}).json()
    assert answer["data"] is None and "lastUsed" in answer["errors"][0]["message"]


def test_every_chunks_query_is_sent_when_the_first_is_needed(github_server: GitHubServer) -> None:
    """Reading one repository's deploy keys sends the queries of all 120 repositories' chunks at once,
    so readers of later chunks do not wait for the earlier chunks' evaluation; each still once."""
    for i in range(120):
        github_server.add_repo(f"r{i:03d}", files={"README.md": "x"})
    session = make_session(github_server)
    try:
        assert session.collect("deploy_keys", repo="acme/r000") == []
        deadline = time.monotonic() + 10
        while github_server.request_count(GRAPHQL) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert github_server.request_count(GRAPHQL) == 3
        assert session.collect("deploy_keys", repo="acme/r119") == []
        assert github_server.request_count(GRAPHQL) == 3 and github_server.request_count(REST_KEYS) == 0
    finally:
        session.close()
