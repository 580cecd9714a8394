"""Helpers shared by the GitHub check tests."""

from __future__ import annotations

from typing import Any

from compliance_app.checks.base import Finding
from compliance_app.checks.registry import get_check
from compliance_app.providers.github import GitHubSession
from tests.support.github_server import GitHubServer


def make_session(server: GitHubServer, **config: Any) -> GitHubSession:
    """A session against the stand-in with fast retries (tests must stay quick)."""
    base = {"github_org": server.org_login, "base_url": server.base_url, "retry_backoff": 0.01,
            "rate_limit_wait": 0.0, "timeout": 5}
    token = config.pop("token", server.token)
    return GitHubSession({**base, **config}, {"token": token})


def run(key: str, server: GitHubServer, **config: Any) -> list[Finding]:
    return get_check(key).run(make_session(server, **config))
