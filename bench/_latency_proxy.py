"""A loopback reverse proxy that adds a fixed latency to every request and counts them per service.

    proxy = LatencyProxy("http://127.0.0.1:5000", latency=0.05).start()   # listens on proxy.url
    proxy.counts      # Counter({"ec2": 1400, "s3": 1210, ...}) since the last reset()
    proxy.fault = fn  # fn(Forwarded) -> (status, headers, body) answers instead of the target, or None
    proxy.timeline = []  # from then on, (start, end, service) of every request (time.monotonic())

AWS requests are counted under the service named in their SigV4 credential scope
(`Credential=KEY/DATE/REGION/SERVICE/aws4_request`), anything else under `label`.
Threaded (one thread per connection, HTTP/1.1 keep-alive, so clients' connection pools
work as against a real endpoint); listens on and connects to 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer"}


@dataclass(frozen=True)
class Forwarded:
    """One request as the proxy received it (what a fault decides on)."""

    service: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


#: A fault answers a request in the target's place, (status, headers, body), or lets it through (None).
Fault = Callable[[Forwarded], tuple[int, dict[str, str], bytes] | None]


class LatencyProxy:
    def __init__(self, target: str, latency: float = 0.0, label: str = "other") -> None:
        parts = urlsplit(target)
        if parts.hostname != "127.0.0.1":
            raise ValueError("the latency proxy only forwards to 127.0.0.1")
        self.target = (parts.hostname, parts.port or 80)
        self.latency = latency
        self.label = label
        self.counts: Counter[str] = Counter()
        self.fault: Fault | None = None
        self.timeline: list[tuple[float, float, str]] | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> LatencyProxy:
        threading.Thread(target=self._server.serve_forever, daemon=True, name="latency-proxy").start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()

    def _count(self, authorization: str | None) -> str:
        """Count the request under its service, and name that service."""
        match = _SCOPE.search(authorization or "")
        service = match.group(1) if match else self.label
        with self._lock:
            self.counts[service] += 1
        return service

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The headers and the body of an answer leave in two writes: with Nagle's algorithm the
            # body waited for the client's delayed ACK of the headers, ~40 ms on every request
            # (latency 0 or not), which neither AWS nor GitHub adds.
            disable_nagle_algorithm = True
            upstream: http.client.HTTPConnection | None = None

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _forward(self) -> None:
                start = time.monotonic()
                service = proxy._count(self.headers.get("Authorization"))
                self._relay(service)
                timeline = proxy.timeline
                if timeline is not None:
                    timeline.append((start, time.monotonic(), service))  # list.append is atomic

            def _relay(self, service: str) -> None:
                if proxy.latency:
                    time.sleep(proxy.latency)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                fault = proxy.fault
                injected = fault(Forwarded(service, self.command, self.path, headers, body or b"")) if fault else None
                if injected is not None:
                    self._answer(*injected)
                    return
                for attempt in (1, 2):  # the upstream may have closed an idle keep-alive connection
                    if self.upstream is None:
                        self.upstream = http.client.HTTPConnection(*proxy.target, timeout=60)
                    try:
                        self.upstream.request(self.command, self.path, body=body, headers=headers)
                        response = self.upstream.getresponse()
                        data = response.read()
                        break
                    except (ConnectionError, http.client.HTTPException):
                        self.upstream.close()
                        self.upstream = None
                        if attempt == 2:
                            raise
                self._answer(response.status, dict(response.getheaders()), data)

            def _answer(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() not in _HOP_BY_HOP | {"content-length"}:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward

        return Handler
