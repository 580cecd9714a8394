"""Per-repository GitHub reads fan out on the session's bounded pool, and a rate limit slows
every thread of the session down instead of failing the scan."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from compliance_app.checks.base import Finding
from compliance_app.checks.registry import get_check
from compliance_app.settings import get_settings
from compliance_app.vocabulary import EvidenceStatus
from tests.checks_github.helpers import make_session
from tests.support.github_server import GitHubServer

CHECK = "repository_default_branch_protection_enabled"


def _trace(server: GitHubServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Record when each request reached the stand-in and how many were in flight at once."""
    trace: dict[str, Any] = {"arrivals": [], "answers": {}, "now": 0, "peak": 0}
    lock = threading.Lock()
    handle = server._handle

    def traced(request: Any) -> Any:
        with lock:
            trace["arrivals"].append((time.monotonic(), request.path))
            trace["now"] += 1
            trace["peak"] = max(trace["peak"], trace["now"])
        try:
            response = handle(request)
        finally:
            with lock:
                trace["now"] -= 1
        trace["answers"].setdefault(request.path, []).append((time.monotonic(), response.status_code))
        return response

    monkeypatch.setattr(server, "_handle", traced)
    return trace


def _repos(server: GitHubServer, n: int) -> None:
    for i in range(n):
        server.add_repo(f"repo-{i:02d}").protect()


def test_repositories_are_read_at_most_pool_size_at_a_time(github_server: GitHubServer,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _repos(github_server, 24)
    github_server.latency = 0.05
    trace = _trace(github_server, monkeypatch)
    findings = _run(github_server)
    assert [f.status for f in findings] == [EvidenceStatus.PASS] * 24
    assert get_settings().github_pool_size == 8
    assert 4 < trace["peak"] <= 8


def test_a_rate_limit_pauses_every_thread_of_the_session(github_server: GitHubServer,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """GitHub's Retry-After holds for the whole token: the other threads wait too (before, each
    thread only waited out its own 403 and the rest kept sending, earning more of them)."""
    _repos(github_server, 24)
    github_server.latency = 0.02
    limited = "/repos/acme/repo-03/branches/main/protection"
    github_server.secondary_rate_limit(f"^{limited}$", retry_after=1, times=1)
    trace = _trace(github_server, monkeypatch)
    findings = _run(github_server, rate_limit_wait=5)
    assert {f.status for f in findings} == {EvidenceStatus.PASS}
    [(limited_at, status), *_] = trace["answers"][limited]
    assert status == 403
    during_pause = [path for at, path in trace["arrivals"] if limited_at + 0.2 < at < limited_at + 0.9]
    assert during_pause == []


def test_still_rate_limited_after_retries_is_an_error_of_that_repository_only(
        github_server: GitHubServer) -> None:
    _repos(github_server, 6)
    github_server.secondary_rate_limit(r"^/repos/acme/repo-02/branches/main/protection$", retry_after=1)
    findings = {f.resource_id: f for f in _run(github_server, rate_limit_wait=1, max_attempts=2)}
    assert findings["acme/repo-02"].status == EvidenceStatus.ERROR
    assert "rate limit" in findings["acme/repo-02"].message
    assert {f.status for r, f in findings.items() if r != "acme/repo-02"} == {EvidenceStatus.PASS}


def _run(server: GitHubServer, **config: Any) -> list[Finding]:
    session = make_session(server, **config)
    try:
        return get_check(CHECK).run(session)
    finally:
        session.close()
