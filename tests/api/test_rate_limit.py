"""The per-token rate limit is one count shared by every web process: 429 with Retry-After past it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from compliance_app.api.v1 import PREFIX
from tests.api.conftest import ApiWorld, auth
from tests.conftest import PROJECT_ROOT, free_port


@pytest.fixture
def second_process(db: str, rate_limit: int) -> Iterator[str]:
    """Another web process (uvicorn over create_api()) on loopback, on the same database and limit."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db, "API_RATE_LIMIT": str(rate_limit)}
    code = ("import uvicorn; from compliance_app.api import create_api; "
            f"uvicorn.run(create_api(), host='127.0.0.1', port={port}, log_level='warning', lifespan='off')")
    process = subprocess.Popen([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}{PREFIX}/openapi.json", timeout=1)
            break
        except httpx.TransportError:
            assert process.poll() is None and time.monotonic() < deadline, "the second process did not start"
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_limit_is_shared_across_processes(api_world: ApiWorld, client: TestClient, rate_limit: int,
                                          second_process: str) -> None:
    token = api_world.tokens[("a", "read")]
    statuses = []
    for i in range(rate_limit):
        if i % 2:
            statuses.append(httpx.get(f"{second_process}{PREFIX}/orgs", headers=auth(token)).status_code)
        else:
            statuses.append(client.get(f"{PREFIX}/orgs", headers=auth(token)).status_code)
    assert statuses == [200] * rate_limit
    for refused in (client.get(f"{PREFIX}/orgs", headers=auth(token)),
                    httpx.get(f"{second_process}{PREFIX}/orgs", headers=auth(token))):
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "Too many requests" in refused.json()["detail"]
    # another token of the same organization has its own count
    assert client.get(f"{PREFIX}/orgs", headers=auth(api_world.tokens[("a", "scan")])).status_code == 200
