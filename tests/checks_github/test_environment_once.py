"""GitHub connections read the proxy environment once, not on every request (a third of each
request's client CPU), and still honour it."""

from __future__ import annotations

import socket

import pytest
import requests.sessions

from tests.checks_github.helpers import make_session
from tests.support.github_server import GitHubServer

_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def clean_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_requests_do_not_reread_the_environment(github_server: GitHubServer,
                                                clean_proxy_environment: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    original = requests.sessions.get_environ_proxies
    clean_proxy_environment.setattr(requests.sessions, "get_environ_proxies",
                                    lambda url, no_proxy=None: asked.append(url) or original(url, no_proxy))
    session = make_session(github_server)
    try:
        for name in ("organization", "members", "hooks", "repositories"):
            session.collect(name)
    finally:
        session.close()
    assert asked == []


def test_the_environment_proxy_is_still_used(github_server: GitHubServer,
                                             clean_proxy_environment: pytest.MonkeyPatch) -> None:
    """A proxy in the environment carries the requests (here: one that is down), NO_PROXY exempts a host."""
    clean_proxy_environment.setenv("HTTP_PROXY", f"http://127.0.0.1:{_closed_port()}")
    session = make_session(github_server, max_attempts=1)
    try:
        with pytest.raises(Exception, match="Cannot reach GitHub"):
            session.collect("organization")
    finally:
        session.close()
    clean_proxy_environment.setenv("NO_PROXY", "127.0.0.1")
    session = make_session(github_server, max_attempts=1)
    try:
        assert session.collect("organization")["login"] == github_server.org_login
    finally:
        session.close()
