"""Two organizations with an audit and a snapshot each, and API tokens of every scope.

`ApiWorld.tokens[(org, scope)]` holds the secret of a token of that organization ("a" or "b")
and scope; the API is served by a TestClient over `create_api()`, as Reflex mounts it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from starlette.testclient import TestClient

from compliance_app.api import create_api
from compliance_app.models import Organization, Role, User
from compliance_app.services import api_tokens, snapshots
from compliance_app.services.authz import Actor
from compliance_app.settings import get_settings
from tests.conftest import free_port
from tests.factories import add_member, make_org, make_user
from tests.snapshots.factory import make_completed_audit

SCOPES = ("read", "scan", "admin")


@dataclass
class ApiWorld:
    org_a: Organization
    org_b: Organization
    admin_a: User
    audit_a: uuid.UUID
    audit_b: uuid.UUID
    snapshot_a: int
    snapshot_b: int
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)


def build_api_world() -> ApiWorld:
    owner_a = make_user(email="owner-a@example.com")
    org_a = make_org(owner=owner_a, slug="acme", name="Acme")
    admin_a = add_member(org_a, make_user(email="admin-a@example.com"), Role.ADMIN)
    org_b = make_org(owner=make_user(email="owner-b@example.com"), slug="wombat", name="Wombat")
    audit_a = make_completed_audit(org_a).id
    audit_b = make_completed_audit(org_b).id
    world = ApiWorld(
        org_a=org_a, org_b=org_b, admin_a=admin_a, audit_a=audit_a, audit_b=audit_b,
        snapshot_a=snapshots.create_snapshot(Actor.system(), audit_a).id,
        snapshot_b=snapshots.create_snapshot(Actor.system(), audit_b).id,
    )
    for key, org in (("a", org_a), ("b", org_b)):
        for scope in SCOPES:
            world.tokens[(key, scope)] = api_tokens.create_token(Actor.system(), org.slug, f"{scope} {key}", scope)[1]
    return world


@pytest.fixture
def api_world(db: str, data_dir: Path) -> ApiWorld:
    return build_api_world()


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_api()) as c:
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def rate_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A small per-token limit, for the 429 tests."""
    monkeypatch.setenv("API_RATE_LIMIT", "4")
    get_settings.cache_clear()
    yield 4
    get_settings.cache_clear()


@pytest.fixture
def loopback_server(db: str) -> Iterator[str]:
    """The API (create_api(), as Reflex mounts it) served by uvicorn on 127.0.0.1 in a thread."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_api(), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the loopback API server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
