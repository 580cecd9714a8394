"""Every custom HTTP route x {anonymous, member of another organization, viewer, admin}.

The routes are enumerated from `compliance_app.api.collect_routes()`, so a route added
later is tested too; `test_every_route_is_classified` fails until its author adds it to
ROUTES below (what it is, how to call it, what each caller gets). Path parameters are filled
from PARAMS, keyed by parameter name, always with organization A's ids: the outsider (a
member of organization B) and the anonymous caller must never get A's data back.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from sqlmodel import select
from starlette.routing import Route
from starlette.testclient import TestClient

from compliance_app.api import collect_routes, create_api
from compliance_app.api.session_cookie import COOKIE_NAME
from compliance_app.db import session_scope
from compliance_app.models import AuditSnapshot, Organization, Proof
from compliance_app.services import shares
from compliance_app.services.authz import Actor
from compliance_app.settings import get_settings
from tests.billing.conftest import event_body, sign
from tests.security.conftest import ORG_A_NAME, RESOURCE_A, World, png_bytes, row_counts, session_token

ROLES = ["anonymous", "outsider", "viewer", "admin"]  # admin last: its writes must not hide earlier refusals
REFUSED = {400, 401, 403, 404}

#: Path parameter name -> organization A's value for it. A new route with an unknown name fails.
PARAMS: dict[str, Callable[[World], str]] = {
    "evidence_id": lambda w: str(w.evidence_a),
    "token": lambda w: w.token_a,
    "rest": lambda w: f"{w.token_a}/pdf/extra",
    "audit_id": lambda w: str(w.audit_a),
    "snapshot_id": lambda w: str(w.snapshot_a),
    "integration_id": lambda w: str(w.integration_a),
    "link_id": lambda w: str(w.link_a),
    "exception_id": lambda w: str(w.exception_a),
    "invitation_id": lambda w: str(w.invitation_a),
    "org_id": lambda w: str(w.org_a.id),
    "slug": lambda w: w.org_a.slug,
}

Send = Callable[[TestClient, str, World], httpx.Response]


def get(client: TestClient, url: str, _w: World) -> httpx.Response:
    return client.get(url)


def post_form(data: dict[str, str]) -> Send:
    return lambda client, url, _w: client.post(url, data=data)


def post_file(client: TestClient, url: str, _w: World) -> httpx.Response:
    return client.post(url, files={"file": ("other.png", png_bytes(), "image/png")})


def post_unsigned_event(client: TestClient, url: str, w: World) -> httpx.Response:
    body = event_body("evt_forged", "customer.subscription.updated",
                      {"customer": "cus_quokka", "status": "active", "metadata": {"organization_id": str(w.org_a.id)}})
    return client.post(url, content=body, headers={"content-type": "application/json"})


@dataclass(frozen=True)
class Spec:
    """kind: public (no tenant data, same for all) | org (tenant data, per-role status) |
    share (bearer link: the token is the authorization, same for all) | webhook (signature)."""

    kind: str
    send: Send
    status: dict[str, set[int]]

    @classmethod
    def same(cls, kind: str, send: Send, statuses: set[int]) -> Spec:
        return cls(kind, send, {role: statuses for role in ROLES})


ROUTES: dict[tuple[str, str], Spec] = {
    ("GET", "/api/health"): Spec.same("public", get, {200}),
    ("POST", "/api/auth/login"): Spec.same(
        "public", post_form({"email": "mallory@quokka.example", "password": "wrong password!"}), {303}),
    ("POST", "/api/auth/signup"): Spec.same(
        "public", post_form({"email": "x@example.com", "password": "long enough 1", "password_confirm": "nope"}),
        {303}),
    ("GET", "/api/auth/logout"): Spec.same("public", get, {200}),  # a confirm button, never a sign-out
    ("POST", "/api/auth/logout"): Spec.same("public", post_form({}), {303}),
    # Single sign-on: unconfigured here, so both send everyone back to /login with the reason.
    ("GET", "/api/auth/sso/login"): Spec.same("public", get, {303}),
    ("GET", "/api/auth/sso/callback"): Spec.same("public", get, {303}),
    ("GET", "/api/evidence/{evidence_id:int}/file"): Spec(
        "org", get, {"anonymous": {404}, "outsider": {404}, "viewer": {200}, "admin": {200}}),
    ("POST", "/api/evidence/{evidence_id:int}/file"): Spec(
        "org", post_file, {"anonymous": {404}, "outsider": {404}, "viewer": {404}, "admin": {201}}),
    ("GET", "/api/audits/{audit_id}/export"): Spec(
        "org", get, {"anonymous": {404}, "outsider": {404}, "viewer": {200}, "admin": {200}}),
    ("GET", "/api/public/snapshots/{token}"): Spec.same("share", get, {200}),
    ("GET", "/api/public/snapshots/{token}/pdf"): Spec.same("share", get, {200}),
    ("GET", "/api/public/snapshots/{rest:path}"): Spec.same("public", get, {404}),
    ("GET", "/api/public/bundles/{token}"): Spec.same("share", get, {200}),
    ("GET", "/api/public/keys"): Spec.same("public", get, {200}),
    ("POST", "/api/stripe/webhook"): Spec.same("webhook", post_unsigned_event, {400, 503}),
}


def route_keys() -> list[tuple[str, str, Route]]:
    keys = []
    for route in collect_routes():
        assert isinstance(route, Route), f"unexpected route type {route!r}: classify it in this test"
        for method in sorted(route.methods or {"GET"}):
            if method != "HEAD":
                keys.append((method, route.path, route))
    return keys


def fill(path: str, world: World) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in PARAMS, f"path parameter '{name}' of {path} has no value in PARAMS: add organization A's"
        return PARAMS[name](world)

    return re.sub(r"{(\w+)(?::\w+)?}", value, path)


def client_for(world: World, role: str) -> TestClient:
    # The app's own pages post with their Origin (strict-origin-when-cross-origin).
    client = TestClient(create_api(), follow_redirects=False, headers={"origin": "http://testserver"})
    user = world.user(role)
    if user is not None:
        client.cookies.set(COOKIE_NAME, session_token(user, f"api-{role}"))
    return client


def text_of(response: httpx.Response) -> str:
    return response.content.decode("utf-8", "replace") + " " + " ".join(
        f"{k}: {v}" for k, v in response.headers.items())


def test_every_route_is_classified() -> None:
    """A new route must be added to ROUTES (with its expected outcome per caller) before it ships."""
    found = {(method, path) for method, path, _ in route_keys()}
    unknown = sorted(found - set(ROUTES))
    stale = sorted(set(ROUTES) - found)
    assert not unknown, f"routes not classified for tenant isolation (add them to ROUTES): {unknown}"
    assert not stale, f"ROUTES names routes that no longer exist: {stale}"


def test_every_route_for_every_caller(world: World) -> None:
    clients = {role: client_for(world, role) for role in ROLES}
    problems: list[str] = []
    for method, path, _route in route_keys():
        spec = ROUTES.get((method, path))
        if spec is None:
            continue  # test_every_route_is_classified reports it
        url = fill(path, world)
        for role in ROLES:
            client = clients[role]
            if path.startswith("/api/auth/logout"):
                client = client_for(world, role)  # signing out must not end the shared session
            response = spec.send(client, url, world)
            where = f"{method} {path} as {role}"
            if response.status_code not in spec.status[role]:
                problems.append(f"{where}: {response.status_code}, expected {sorted(spec.status[role])}")
            body = text_of(response)
            if role in ("anonymous", "outsider") and spec.kind != "share":
                leaked = [m for m in world.markers if m in body]
                if leaked:
                    problems.append(f"{where}: response contains organization A's {leaked}")
                if spec.kind == "org" and response.status_code not in REFUSED:
                    problems.append(f"{where}: {response.status_code} is not a refusal")
            if spec.kind == "share":
                assert response.status_code != 200 or ORG_A_NAME in body or path.endswith("/pdf"), where
    assert not problems, "\n".join(problems)


def test_evidence_file_refusals_do_not_reveal_whether_the_id_exists(world: World) -> None:
    """The outsider gets byte-for-byte the same answer for A's evidence and for no evidence."""
    client = client_for(world, "outsider")
    for send in (get, post_file):
        theirs = send(client, f"/api/evidence/{world.evidence_a}/file", world)
        missing = send(client, "/api/evidence/99999999/file", world)
        assert theirs.status_code == missing.status_code == 404
        assert theirs.content.replace(str(world.evidence_a).encode(), b"ID") == \
            missing.content.replace(b"99999999", b"ID")


def test_refused_uploads_change_nothing(world: World) -> None:
    with session_scope() as s:
        before = s.exec(select(Proof.file_name).where(Proof.replaced_at.is_(None))).all()
    clients = {role: client_for(world, role) for role in ("anonymous", "outsider", "viewer")}
    counts = row_counts()
    for role, client in clients.items():
        response = post_file(client, f"/api/evidence/{world.evidence_a}/file", world)
        assert response.status_code in REFUSED, role
    with session_scope() as s:
        assert s.exec(select(Proof.file_name).where(Proof.replaced_at.is_(None))).all() == before
    assert row_counts() == counts


def test_evidence_file_served_to_members_only_as_private_bytes(world: World) -> None:
    response = client_for(world, "viewer").get(f"/api/evidence/{world.evidence_a}/file")
    assert response.status_code == 200
    assert response.content == png_bytes()
    assert "no-store" in response.headers["cache-control"]
    assert response.headers["x-content-type-options"] == "nosniff"


def _share(client: TestClient, token: str, suffix: str = "") -> httpx.Response:
    return client.get(f"/api/public/snapshots/{token}{suffix}")


def test_share_link_opens_its_own_snapshot_for_anyone(world: World) -> None:
    """token_a is a link made with the default disclosure: A's snapshot, identifiers redacted."""
    with session_scope() as s:
        checksum = s.get(AuditSnapshot, world.snapshot_a).checksum
    for role in ROLES:
        client = client_for(world, role)
        response = _share(client, world.token_a)
        assert response.status_code == 200, role
        data = response.json()
        assert data["snapshot"]["organization"]["name"] == ORG_A_NAME
        assert data["original_checksum"] == checksum
        assert RESOURCE_A not in response.text
        assert response.headers["x-robots-tag"] == "noindex, nofollow"
        pdf = _share(client, world.token_a, "/pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # B's token opens B's snapshot, never A's.
    other = _share(client_for(world, "admin"), world.token_b)
    assert other.status_code == 200
    assert not [m for m in world.markers if m in other.text]


def test_every_dead_share_token_gets_the_identical_404(world: World) -> None:
    client = client_for(world, "anonymous")
    dead = {
        "forged": shares.crypto.new_token(32),
        "expired": world.expired_token_a,
        "revoked": world.revoked_token_a,
        "altered": world.token_a[:-1] + ("A" if world.token_a[-1] != "A" else "B"),
        "prefix": world.token_a[:20],
        "uuid": str(uuid.uuid4()),
        "percent": "%00",
    }
    for suffix in ("", "/pdf"):
        answers = {name: _share(client, token, suffix) for name, token in dead.items()}
        answers["extra-segment"] = _share(client, world.token_a, suffix + "/x")
        reference = answers["forged"]
        assert reference.status_code == 404
        for name, response in answers.items():
            assert response.status_code == 404, name
            assert response.content == reference.content, name
            strip = {"date", "content-length"}
            assert {k: v for k, v in response.headers.items() if k not in strip} == \
                {k: v for k, v in reference.headers.items() if k not in strip}, name
            assert not [m for m in world.markers if m in response.text], name
    # Revoking the live link turns it into the same 404 at once.
    shares.revoke_link(Actor.system("test"), world.link_a)
    assert _share(client, world.token_a).content == reference.content


@pytest.fixture
def billing_on(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_not_used")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_test_secret")
    monkeypatch.setenv("STRIPE_PRICE_ID", "price_test_pro")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_stripe_webhook_requires_a_valid_signature(world: World, billing_on: None) -> None:
    with session_scope() as s:
        org = s.get(Organization, world.org_a.id)
        org.stripe_customer_id = "cus_quokka"
        s.add(org)
    body = event_body("evt_takeover", "customer.subscription.updated",
                      {"id": "sub_1", "customer": "cus_quokka", "status": "active",
                       "metadata": {"organization_id": str(world.org_a.id)}})
    client = client_for(world, "outsider")  # any caller: the session is irrelevant here
    counts = row_counts()
    attempts = {
        "none": {},
        "garbage": {"stripe-signature": "t=1,v1=00"},
        "wrong secret": {"stripe-signature": sign(body, secret="whsec_attacker")},
        "stale": {"stripe-signature": sign(body, timestamp=1_000_000_000)},
    }
    for name, headers in attempts.items():
        response = client.post("/api/stripe/webhook", content=body, headers=headers)
        assert response.status_code == 400, name
        assert ORG_A_NAME not in response.text
    assert row_counts() == counts, "a refused webhook wrote something"
    with session_scope() as s:
        assert s.get(Organization, world.org_a.id).subscription_status == "free"
    signed = client.post("/api/stripe/webhook", content=body, headers={"stripe-signature": sign(body)})
    assert signed.status_code == 200  # the genuine event still gets through (the test can fail)
