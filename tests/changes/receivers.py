"""Loopback stand-ins for notification channels: a real SMTP server (aiosmtpd) and an HTTPS
webhook receiver with a test CA (trustme), both recording what they receive."""

from __future__ import annotations

import json
import ssl
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import free_port

SMTP_USER, SMTP_PASSWORD = "notifier", "s3cret-smtp-pass"


@dataclass
class Mailbox:
    """What the SMTP server accepted: (envelope recipients, parsed message, raw bytes)."""

    messages: list[tuple[list[str], Message, bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content), envelope.content))
        return "250 OK"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(), SMTP_PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    """An SMTP server on 127.0.0.1 that requires SMTP_USER/SMTP_PASSWORD (plain, no TLS: loopback)."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=_authenticator,
                            auth_required=True, auth_require_tls=False)
    with warnings.catch_warnings():  # AUTH without TLS is what a loopback test server wants
        warnings.simplefilter("ignore", UserWarning)
        controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


@dataclass
class Webhook:
    """What the receiver got; `status` is what it answers next."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    status: int = 200
    port: int = 0

    def url(self, path: str = "/services/T000/B000/XXXXsecretpath") -> str:
        return f"https://127.0.0.1:{self.port}{path}"


@contextmanager
def webhook_receiver(tmp_path: Path) -> Iterator[tuple[Webhook, Path]]:
    """An HTTPS server on 127.0.0.1 with a certificate from a test CA; yields it and the CA file
    (point SSL_CERT_FILE at it so the sender trusts the certificate)."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file = tmp_path / "webhook-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hook.raw.append(data)
            hook.paths.append(self.path)
            hook.bodies.append(json.loads(data))
            self.send_response(hook.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    hook.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook, ca_file
    finally:
        server.shutdown()
        server.server_close()
