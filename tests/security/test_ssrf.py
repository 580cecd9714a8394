"""SSRF: tenant-set URLs never reach this server's own network.

Every URL a tenant can set (GitHub base URL, AWS endpoint URL) is refused when saved and
again at connection time when its host resolves to a loopback, private, link-local,
multicast or reserved address, unless ALLOW_PRIVATE_ENDPOINTS=true (the suite's default,
turned off here). Connections are pinned to the address that was vetted. Every target
here is on 127.0.0.1, or refused before any packet leaves (10.0.0.1, 169.254.169.254).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from compliance_app.providers import endpoints
from compliance_app.providers.aws import AwsSession
from compliance_app.providers.github import GitHubSession
from compliance_app.services import integrations
from compliance_app.services.errors import ValidationError
from compliance_app.settings import get_settings
from compliance_app.vocabulary import CollectionError
from tests.checks_aws.helpers import CREDS
from tests.factories import actor_for, make_org, make_user
from tests.support.github_server import GitHubServer


class Listener:
    """An HTTP server on 127.0.0.1 that records every request (method, path, Host header)."""

    def __init__(self) -> None:
        seen = self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                seen.append((self.command, self.path, self.headers.get("Host")))
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                body = b"{}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.stop()


@pytest.fixture
def refuse_private(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The production default: ALLOW_PRIVATE_ENDPOINTS unset (false)."""
    monkeypatch.setenv("ALLOW_PRIVATE_ENDPOINTS", "false")
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def refused_urls(port: int) -> list[str]:
    return [f"http://127.0.0.1:{port}", "http://169.254.169.254/latest/meta-data", "http://10.0.0.1",
            f"http://localhost:{port}", f"http://[::1]:{port}", f"http://[::ffff:127.0.0.1]:{port}",
            f"http://2130706433:{port}", "http://0.0.0.0", "http://224.0.0.1", "http://100.64.0.1"]


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "224.0.0.251", "240.0.0.1", "255.255.255.255",
                                     "::1", "fe80::1", "fc00::1", "ff02::1", "::ffff:10.0.0.1",
                                     "64:ff9b::a9fe:a9fe", "::"])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not endpoints.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["140.82.112.6", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert endpoints.is_public(ipaddress.ip_address(address))


def test_private_targets_are_refused_when_saved(db, refuse_private, listener: Listener) -> None:
    owner = make_user()
    org, admin = make_org(owner), actor_for(owner)
    for url in refused_urls(listener.port):
        with pytest.raises(ValidationError, match="must point to a public address") as github:
            integrations.add_github_integration(admin, org.id, "ghp_SsrfProbeToken00001", "acme", base_url=url)
        assert github.value.field == "base_url"
        with pytest.raises(ValidationError, match="must point to a public address") as aws:
            integrations.add_aws_integration(admin, org.id, "AKIASSRFPROBE0000001", "s" * 40, endpoint_url=url)
        assert aws.value.field == "endpoint_url"
    assert integrations.list_integrations(admin, org.id) == []
    assert listener.requests == []


def test_private_targets_are_refused_at_connection_time(db, monkeypatch: pytest.MonkeyPatch,
                                                        github_server: GitHubServer, listener: Listener) -> None:
    owner = make_user()
    org, admin = make_org(owner), actor_for(owner)
    github = integrations.add_github_integration(admin, org.id, github_server.token, "acme",
                                                 base_url=github_server.base_url)
    aws = integrations.add_aws_integration(admin, org.id, "AKIASSRFPROBE0000001", "s" * 40, regions="us-east-1",
                                           endpoint_url=f"http://localhost:{listener.port}")
    assert integrations.test_integration(admin, github.id).ok  # allowed while the operator allows it
    github_server.reset()
    listener.requests.clear()

    monkeypatch.setenv("ALLOW_PRIVATE_ENDPOINTS", "false")
    get_settings.cache_clear()
    try:
        for row in (github, aws):
            result = integrations.test_integration(admin, row.id)
            assert (result.ok, result.message) == (False, endpoints.COULD_NOT_CONNECT)
        targets = integrations.load_scan_sessions(org.id)
        assert [t.session for t in targets] == [None, None]
        assert all(t.error.endswith(endpoints.COULD_NOT_CONNECT) for t in targets)
    finally:
        get_settings.cache_clear()
    assert github_server.requests == [] and listener.requests == []


class FakeDNS:
    """`rebind.test` resolves to the next of `answers` on every lookup (the last one repeats);
    `given` lists the answers handed out, so a test sees how often the name was resolved."""

    def __init__(self) -> None:
        self.answers: list[str] = []
        self.given: list[str] = []


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    fake = FakeDNS()
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        fake.given.append(fake.answers[min(len(fake.given), len(fake.answers) - 1)])
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (fake.given[-1], port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return fake


def _github(port: int) -> GitHubSession:
    return GitHubSession({"github_org": "acme", "base_url": f"http://rebind.test:{port}", "max_attempts": 1,
                          "timeout": 5}, {"token": "ghp_SsrfProbeToken00001"})


def _aws_call(port: int) -> None:
    session = AwsSession({"regions": ["us-east-1"], "endpoint_url": f"http://rebind.test:{port}"}, CREDS)
    with contextlib.suppress(Exception):  # the listener's "{}" is no STS answer: only the request matters
        session.client("sts").get_caller_identity()


def test_a_name_resolving_to_a_private_address_gets_no_connection(refuse_private, dns, listener) -> None:
    dns.answers.append("127.0.0.1")
    with pytest.raises(CollectionError, match="Cannot reach GitHub"):
        _github(listener.port).collect("organization")
    _aws_call(listener.port)
    assert listener.requests == []


def test_connections_go_to_the_vetted_address_with_the_host_name_kept(refuse_private, dns, listener,
                                                                      monkeypatch) -> None:
    """DNS rebinding: the name answers 127.0.0.1 (taken as public here) when vetted, then
    127.0.0.2; a pinned connection never asks again and reaches the listener on .1."""
    dns.answers.extend(["127.0.0.1", "127.0.0.2"])
    monkeypatch.setattr(endpoints, "is_public", lambda ip: str(ip) == "127.0.0.1")
    _github(listener.port).collect("organization")
    assert listener.requests == [("GET", "/orgs/acme", f"rebind.test:{listener.port}")]
    assert dns.given == ["127.0.0.1"]

    dns.given.clear()
    _aws_call(listener.port)
    assert [host for _, _, host in listener.requests[1:]] == [f"rebind.test:{listener.port}"]
    assert dns.given == ["127.0.0.1"]
