"""Which hosts a tenant-set URL may reach, and connections pinned to the vetted address.

A tenant sets the GitHub base URL and the AWS endpoint URL. Without a rule, any admin
could point them at this server's own network (loopback, private ranges, the cloud
metadata service at 169.254.169.254) and use "Test connection" and scans as a port
scanner that also hands over the tenant's token. So a host is refused when any address
it resolves to is loopback, private, link-local, multicast, reserved or otherwise not
globally routable (IPv4-mapped and NAT64 IPv6 forms are judged by the IPv4 address they
carry), unless the operator sets ALLOW_PRIVATE_ENDPOINTS=true (GitHub Enterprise on a
private network; the test suite, whose stand-ins listen on 127.0.0.1).

The rule runs when the URL is saved and again on every connection: the connection
classes below resolve the host once, vet every address, and connect to a vetted address
(the Host header, TLS SNI and certificate check keep the host name). A DNS answer that
changes between the check and the connection (DNS rebinding) therefore cannot slip a
private address in. AWS's own default endpoints are not tenant-set and are not pinned.
Through an operator's proxy (HTTPS_PROXY) the proxy resolves the name: it is checked, but
only the proxy can pin it.

Only urllib3 is imported here; requests (PyGithub) and botocore are imported by the
function that needs them, so using one provider never imports the other's SDK.
"""

from __future__ import annotations

import ipaddress
import socket
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection

from compliance_app.settings import get_settings

#: What a person sees when a connection test or scan was refused: nothing an attacker can
#: tell apart from a closed port.
COULD_NOT_CONNECT = "Could not connect."
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class EndpointRefused(OSError):
    """The host resolves to an address tenants may not reach."""


def is_public(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(ip.ipv4_mapped)
        if ip in _NAT64:
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                                 or ip.is_reserved or ip.is_unspecified)


def private_endpoints_allowed() -> bool:
    return get_settings().allow_private_endpoints


def vetted_addresses(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, if all are public; raises EndpointRefused otherwise
    (socket.gaierror when the name does not resolve)."""
    infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    refused = [a for a in addresses if not is_public(ipaddress.ip_address(a.split("%", 1)[0]))]
    if refused:
        raise EndpointRefused(f"{host} resolves to a non-public address")
    return addresses


def check_url(url: str) -> None:
    """Raise EndpointRefused when a tenant-set URL's host may not be reached.

    A name that does not resolve (yet) passes: connecting to it simply fails later.
    """
    if private_endpoints_allowed():
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        vetted_addresses(host, port)
    except socket.gaierror:
        return


class _PinnedConnection:
    """urllib3 connection that connects only to a vetted address of its host."""

    _dns_host: str
    _tunnel_host: str | None
    _tunnel_port: int | None
    port: int
    host: str
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        if private_endpoints_allowed():
            return super()._new_conn()  # type: ignore[misc]
        if getattr(self, "proxy", None) is not None:
            # Through the operator's proxy (HTTPS_PROXY): the proxy resolves the name, so it can
            # be checked (when tunnelled; the service checked the URL too) but not pinned here.
            if self._tunnel_host:
                try:
                    vetted_addresses(self._tunnel_host, self._tunnel_port or 443)
                except EndpointRefused as exc:
                    raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from None  # type: ignore[arg-type]
                except socket.gaierror:
                    pass
            return super()._new_conn()  # type: ignore[misc]
        try:
            addresses = vetted_addresses(self._dns_host, self.port)
        except EndpointRefused as exc:  # before any packet goes to the host
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from None  # type: ignore[arg-type]
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        error: OSError | None = None
        for address in addresses:
            try:
                return connection.create_connection((address, self.port), self.timeout,
                                                    source_address=self.source_address,
                                                    socket_options=self.socket_options)
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})") from exc
            except OSError as exc:
                error = exc
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}")  # type: ignore[arg-type]


class PinnedHTTPConnection(_PinnedConnection, HTTPConnection):
    pass


class PinnedHTTPSConnection(_PinnedConnection, HTTPSConnection):
    pass


class PinnedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = PinnedHTTPConnection


class PinnedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = PinnedHTTPSConnection


@cache
def _pygithub_connection_classes() -> tuple[type, type]:
    """PyGithub's two connection classes, with every requests.Session mounting pinned pools."""
    import requests
    from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass

    class PinnedAdapter(requests.adapters.HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": PinnedHTTPConnectionPool,
                                                       "https": PinnedHTTPSConnectionPool}

    def pinned(base: type) -> type:
        class Pinned(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.adapter = PinnedAdapter(max_retries=self.retry, pool_connections=self.pool_size,
                                             pool_maxsize=self.pool_size)
                self.session.mount("https://", self.adapter)
                self.session.mount("http://", self.adapter)

        Pinned.__name__ = f"Pinned{base.__name__}"
        return Pinned

    return pinned(HTTPRequestsConnectionClass), pinned(HTTPSRequestsConnectionClass)


def pin_pygithub(github: Any) -> None:
    """Make a PyGithub client (before its first request) connect only through pinned connections.

    PyGithub builds one requests.Session per connection object from classes its Requester
    keeps in private attributes; the public `injectConnectionClasses` would change them for
    the whole process and turn keep-alive off, so this sets them on this client only.
    """
    requester = github.requester
    if not hasattr(requester, "_Requester__connectionClass"):
        raise RuntimeError("PyGithub's Requester changed: its connections can no longer be pinned")
    http, https = _pygithub_connection_classes()
    requester._Requester__httpConnectionClass = http
    requester._Requester__httpsConnectionClass = https
    requester._Requester__connectionClass = https if requester.scheme == "https" else http


@cache
def _boto_pool_classes() -> dict[str, type]:
    from botocore.awsrequest import (
        AWSHTTPConnection,
        AWSHTTPConnectionPool,
        AWSHTTPSConnection,
        AWSHTTPSConnectionPool,
    )

    class PinnedAWSHTTPConnection(_PinnedConnection, AWSHTTPConnection):
        pass

    class PinnedAWSHTTPSConnection(_PinnedConnection, AWSHTTPSConnection):
        pass

    class PinnedAWSHTTPConnectionPool(AWSHTTPConnectionPool):
        ConnectionCls = PinnedAWSHTTPConnection

    class PinnedAWSHTTPSConnectionPool(AWSHTTPSConnectionPool):
        ConnectionCls = PinnedAWSHTTPSConnection

    return {"http": PinnedAWSHTTPConnectionPool, "https": PinnedAWSHTTPSConnectionPool}


def pin_boto_client(client: Any) -> Any:
    """Make a botocore client with a tenant-set endpoint connect only through pinned connections."""
    # URLLib3Session shares this dict with its pool manager and every proxy manager it makes.
    client._endpoint.http_session._pool_classes_by_scheme.update(_boto_pool_classes())
    return client
