"""The benchmark's latency proxy adds the latency it is told to and nothing else."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
import requests

from bench._latency_proxy import LatencyProxy
from tests.support.github_server import GitHubServer


@pytest.fixture
def proxied() -> Iterator[tuple[GitHubServer, LatencyProxy]]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = GitHubServer().start()
    proxy = LatencyProxy(server.base_url, label="github").start()
    try:
        yield server, proxy
    finally:
        proxy.stop()
        server.stop()


def _mean_seconds(session: requests.Session, url: str, token: str, n: int = 20) -> float:
    headers = {"Authorization": f"token {token}"}
    session.get(url, headers=headers).raise_for_status()  # the keep-alive connection is open
    start = time.perf_counter()
    for _ in range(n):
        session.get(url, headers=headers).raise_for_status()
    return (time.perf_counter() - start) / n


def test_no_added_latency_adds_no_delay(proxied: tuple[GitHubServer, LatencyProxy]) -> None:
    """Answers left in two writes, so Nagle's algorithm held each body for the client's delayed
    ACK (~40 ms a request at latency 0): the benchmark measured the proxy, not the scan."""
    server, proxy = proxied
    with requests.Session() as session:
        mean = _mean_seconds(session, f"{proxy.url}/orgs/{server.org_login}", server.token)
    assert mean < 0.02


def test_timeline_records_each_request_with_its_service(proxied: tuple[GitHubServer, LatencyProxy]) -> None:
    server, proxy = proxied
    proxy.latency = 0.01
    proxy.timeline = []
    with requests.Session() as session:
        _mean_seconds(session, f"{proxy.url}/orgs/{server.org_login}", server.token, n=2)
    assert len(proxy.timeline) == 3
    assert all(service == "github" and end - start >= 0.01 for start, end, service in proxy.timeline)
    assert proxy.counts == {"github": 3}
