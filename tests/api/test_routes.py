"""Every /api/v1 route x (no token, a bad token, another organization's token, wrong scope, right scope).

Routes are enumerated from the FastAPI app itself, so a route added later fails
`test_every_route_is_classified` until it is listed in ROUTES with the least scope it needs.
Path parameters always name organization A's things: organization B's token must get 404
whether it names A's slug or its own slug with A's ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from compliance_app.api import create_api
from compliance_app.api.v1 import PREFIX, create_v1_app
from compliance_app.db import session_scope
from compliance_app.models import ActivityLog, ApiToken, Audit
from compliance_app.services import api_tokens
from compliance_app.services.authz import Actor
from compliance_app.settings import get_settings
from tests.api.conftest import ApiWorld, auth

#: (method, path) -> the least scope that may call it.
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/orgs"): "read",
    ("GET", "/orgs/{slug}/audits"): "read",
    ("GET", "/orgs/{slug}/audits/{audit_id}"): "read",
    ("GET", "/orgs/{slug}/audits/{audit_id}/evidence"): "read",
    ("GET", "/orgs/{slug}/checks"): "read",
    ("GET", "/orgs/{slug}/trend"): "read",
    ("GET", "/orgs/{slug}/snapshots"): "read",
    ("GET", "/orgs/{slug}/snapshots/{snapshot_id}/bundle"): "read",
    ("POST", "/orgs/{slug}/scans"): "scan",
    ("GET", "/orgs/{slug}/scans/{audit_id}"): "read",
}
RANK = {"read": 0, "scan": 1, "admin": 2}


def api_routes() -> list[tuple[str, str]]:
    """From the OpenAPI document: FastAPI includes routers lazily, so app.routes does not list them."""
    paths = create_v1_app().openapi()["paths"]
    return sorted((method.upper(), path) for path, methods in paths.items() for method in methods)


def fill(path: str, w: ApiWorld, slug: str | None = None) -> str:
    values = {"slug": slug or w.org_a.slug, "audit_id": str(w.audit_a), "snapshot_id": str(w.snapshot_a)}
    return PREFIX + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


@pytest.fixture
def scans_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """POST /scans needs something to scan: the fake checks of the engine tests stand in."""
    monkeypatch.setenv("ENGINE_OVERRIDE_MODULE", "tests.scans.fake_checks")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_every_route_is_classified() -> None:
    assert set(api_routes()) == set(ROUTES), "classify every /api/v1 route in ROUTES (and drop removed ones)"


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_for_every_caller(api_world: ApiWorld, client: TestClient, scans_allowed: None,
                                route: tuple[str, str]) -> None:
    method, path = route
    w = api_world
    url = fill(path, w)

    def call(headers: dict[str, str], target: str = url) -> int:
        return client.request(method, target, headers=headers).status_code

    assert call({}) == 401, "no token"
    assert call(auth("cat_" + "x" * 43)) == 401, "an unknown token"
    assert call({"Authorization": f"Basic {w.tokens[('a', 'admin')]}"}) == 401, "a token under another scheme"
    assert call(auth(w.tokens[("b", "admin")])) == (200 if path == "/orgs" else 404), "organization B's token"
    if "{audit_id}" in path or "{snapshot_id}" in path:
        assert call(auth(w.tokens[("b", "admin")]), fill(path, w, slug=w.org_b.slug)) == 404, "B's slug, A's ids"
    minimum = ROUTES[route]
    for scope in ("read", "scan", "admin"):
        expected = {200, 202} if RANK[scope] >= RANK[minimum] else {403}
        assert call(auth(w.tokens[("a", scope)])) in expected, f"scope {scope}"


def test_orgs_lists_only_the_tokens_organization(api_world: ApiWorld, client: TestClient) -> None:
    body = client.get(f"{PREFIX}/orgs", headers=auth(api_world.tokens[("b", "read")])).json()
    assert body == [{"slug": "wombat", "name": "Wombat"}]


def test_audit_has_per_check_results_and_counts(api_world: ApiWorld, client: TestClient) -> None:
    body = client.get(fill("/orgs/{slug}/audits/{audit_id}", api_world),
                      headers=auth(api_world.tokens[("a", "read")])).json()
    assert body["audit_id"] == str(api_world.audit_a) and body["status"] == "COMPLETED"
    results = {c["key"]: c for c in body["check_results"]}
    assert results["aws_s3_bucket_encrypted"]["result"] == "FAIL"
    assert (results["aws_s3_bucket_encrypted"]["failing"], results["aws_s3_bucket_encrypted"]["total"]) == (1, 2)
    assert results["github_org_2fa_required"]["result"] == "PASS"
    assert results["aws_iam_root_mfa"]["result"] == "RISK_ACCEPTED"
    assert body["counts"] == {"PASS": 1, "FAIL": 1, "RISK_ACCEPTED": 1, "ERROR": 1}


def test_evidence_is_paginated_and_filtered(api_world: ApiWorld, client: TestClient) -> None:
    url = fill("/orgs/{slug}/audits/{audit_id}/evidence", api_world)
    headers = auth(api_world.tokens[("a", "read")])
    page = client.get(url, params={"page_size": 3}, headers=headers).json()
    assert (page["total"], page["pages"], len(page["items"])) == (4, 2, 3)
    assert len(client.get(url, params={"page_size": 3, "page": 2}, headers=headers).json()["items"]) == 1
    by_check = client.get(url, params={"check": "aws_s3_bucket_encrypted"}, headers=headers).json()
    assert {e["resource_id"] for e in by_check["items"]} == {"arn:aws:s3:::logs-bucket", "arn:aws:s3:::other"}
    failing = client.get(url, params={"check": "aws_s3_bucket_encrypted", "result": "FAIL"}, headers=headers).json()
    assert [e["resource_id"] for e in failing["items"]] == ["arn:aws:s3:::logs-bucket"]
    assert client.get(url, params={"result": "MAYBE"}, headers=headers).status_code == 400
    assert client.get(url, params={"page_size": 10_000}, headers=headers).status_code == 422


def test_scan_started_and_followed(api_world: ApiWorld, client: TestClient, scans_allowed: None) -> None:
    headers = auth(api_world.tokens[("a", "scan")])
    started = client.post(fill("/orgs/{slug}/scans", api_world), headers=headers)
    assert started.status_code == 202 and started.json()["status"] == "PENDING"
    audit_id = started.json()["audit_id"]
    followed = client.get(f"{PREFIX}/orgs/acme/scans/{audit_id}", headers=headers).json()
    assert followed["audit_id"] == audit_id and followed["audit"] == f"{PREFIX}/orgs/acme/audits/{audit_id}"
    with session_scope() as s:
        audit = s.get(Audit, audit_id)
        assert audit.triggered_by_id is None
        logged = s.exec(select(ActivityLog).where(ActivityLog.action == "scan.requested")).one()
    assert logged.actor_label == "API token “scan a”" and logged.actor_id is None
    assert "testclient" in str(logged.meta.get("ip"))


def test_responses_are_not_cached(api_world: ApiWorld, client: TestClient) -> None:
    response = client.get(f"{PREFIX}/orgs", headers=auth(api_world.tokens[("a", "read")]))
    assert response.headers["cache-control"] == "no-store"


def test_openapi_document(client: TestClient) -> None:
    document = client.get(f"{PREFIX}/openapi.json").json()
    assert document["servers"] == [{"url": PREFIX}]
    assert {(m.upper(), p) for p, methods in document["paths"].items() for m in methods} == set(ROUTES)
    assert "HTTPBearer" in document["components"]["securitySchemes"]


def test_revoked_and_expired_tokens_get_401_and_use_is_recorded(api_world: ApiWorld, client: TestClient) -> None:
    token = api_world.tokens[("a", "read")]
    assert client.get(f"{PREFIX}/orgs", headers=auth(token)).status_code == 200
    with session_scope() as s:
        row = s.exec(select(ApiToken).where(ApiToken.name == "read a")).one()
    assert row.last_used_at is not None and row.last_used_ip == "testclient"
    api_tokens.revoke_token(Actor.system(), row.id)
    assert client.get(f"{PREFIX}/orgs", headers=auth(token)).status_code == 401
    with session_scope() as s:
        expiring = s.exec(select(ApiToken).where(ApiToken.name == "scan a")).one()
        expiring.expires_at = expiring.created_at
        s.add(expiring)
    assert client.get(f"{PREFIX}/orgs", headers=auth(api_world.tokens[("a", "scan")])).status_code == 401


@pytest.mark.parametrize(("trusted", "recorded"), [("", "10.1.2.3"), ("10.0.0.0/8", "203.0.113.7")])
def test_last_used_address_honours_trusted_proxies(api_world: ApiWorld, monkeypatch: pytest.MonkeyPatch,
                                                   trusted: str, recorded: str) -> None:
    """X-Forwarded-For is believed only from TRUSTED_PROXIES (api/auth.client_ip, as sign-in uses it)."""
    monkeypatch.setenv("TRUSTED_PROXIES", trusted)
    get_settings.cache_clear()
    try:
        with TestClient(create_api(), client=("10.1.2.3", 40000)) as proxied:
            response = proxied.get(f"{PREFIX}/orgs", headers={**auth(api_world.tokens[("a", "read")]),
                                                                "X-Forwarded-For": "203.0.113.7"})
    finally:
        get_settings.cache_clear()
    assert response.status_code == 200
    with session_scope() as s:
        assert s.exec(select(ApiToken).where(ApiToken.name == "read a")).one().last_used_ip == recorded


def test_an_unknown_provider_filter_is_refused_not_a_crash(api_world: ApiWorld) -> None:
    """Found by the hostile-input suite with another seed: the enum column raised LookupError."""
    from compliance_app.services import scans
    from compliance_app.services.errors import ValidationError

    with pytest.raises(ValidationError, match="Unknown filter value"):
        scans.list_evidence(Actor.system(), api_world.audit_a, provider="' OR '1'='1")
    assert scans.list_evidence(Actor.system(), api_world.audit_a, provider="aws").total == 3
