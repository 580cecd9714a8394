"""A small OpenID Connect identity provider on loopback, for the single sign-on tests.

Discovery document, JWKS, authorization endpoint (it signs in `person` without a form, as an
IdP with a live session does) and token endpoint (client secret, single-use code, redirect
URI and PKCE S256 checked with Authlib's server-side helper). ID tokens are signed with
joserfc. Each knob makes the next ID token wrong in one way, for the negative tests.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "compliance-app"
CLIENT_SECRET = "idp-client-secret-" + "s3cr3t" * 4


@dataclass
class Person:
    """Who is signed in at the provider."""

    email: str
    sub: str = field(default_factory=lambda: "sub-" + secrets.token_hex(6))
    email_verified: Any = True
    name: str = "Pat Example"


@dataclass
class Provider:
    issuer: str
    person: Person
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "idp-1"}))
    #: Claims merged into the next ID tokens (e.g. {"aud": "someone-else"}, {"exp": <past>}).
    overrides: dict[str, Any] = field(default_factory=dict)
    omit_nonce: bool = False
    #: Sign with a key that is not in the JWKS (same kid): the signature cannot verify.
    foreign_key: bool = False
    #: What each authorization request asked for (to check PKCE S256 and the nonce were sent).
    authorizations: list[dict[str, str]] = field(default_factory=list)
    token_requests: int = 0
    _codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str]]:
        """A redirect back to the client with a code, or 400 for a request it must refuse."""
        self.authorizations.append(query)
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return 400, {}
        code = secrets.token_urlsafe(24)
        self._codes[code] = query
        location = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query.get("state", "")})
        return 302, {"location": location}

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        self.token_requests += 1
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != expected:
            return 401, {"error": "invalid_client"}
        request = self._codes.pop(form.get("code", ""), None)
        if request is None or form.get("grant_type") != "authorization_code":
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != request["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        verifier = form.get("code_verifier", "")
        if request.get("code_challenge_method") != "S256" or \
                create_s256_code_challenge(verifier) != request.get("code_challenge"):
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        return 200, {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 300,
                     "id_token": self.id_token(request.get("nonce"))}  # fmt: skip

    def id_token(self, nonce: str | None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "sub": self.person.sub, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
            "email": self.person.email, "email_verified": self.person.email_verified, "name": self.person.name,
        }  # fmt: skip
        if nonce and not self.omit_nonce:
            claims["nonce"] = nonce
        claims.update(self.overrides)
        key = RSAKey.generate_key(2048, parameters={"kid": "idp-1"}) if self.foreign_key else self.key
        return jwt.encode({"alg": "RS256", "kid": "idp-1"}, claims, key)

    def jwks(self) -> dict[str, Any]:
        return KeySet([self.key]).as_dict(private=False)


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._send(200, provider.discovery())
            elif url.path == "/jwks":
                self._send(200, provider.jwks())
            elif url.path == "/authorize":
                status, headers = provider.authorize({k: v[0] for k, v in parse_qs(url.query).items()})
                self._send(status, {} if status != 302 else None, headers)
            else:
                self._send(404, {})

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/token":
                self._send(404, {})
                return
            body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
            status, answer = provider.token({k: v[0] for k, v in parse_qs(body).items()},
                                            self.headers.get("authorization", ""))  # fmt: skip
            self._send(status, answer)

    return Handler


@contextmanager
def running_provider(person: Person) -> Iterator[Provider]:
    """A provider on a free loopback port for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    provider = Provider(issuer=f"http://127.0.0.1:{server.server_address[1]}", person=person)
    server.RequestHandlerClass = _handler(provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
