"""`python -m compliance_app gate`: fails a pipeline on a failing scan, passes it on a passing one.

The gate runs as its own process with no database configured (only the API's address and a
token), against the API served on loopback; a worker thread in the test runs each queued audit
with the engine tests' fake checks (the engine's checks/sessions seam).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence

import pytest

from compliance_app.checks.base import Check
from compliance_app.models import Provider
from compliance_app.services import audit_queue, engine
from compliance_app.settings import get_settings
from tests.api.conftest import ApiWorld
from tests.conftest import PROJECT_ROOT
from tests.scans.fake_checks import FakeAllPass, FakeOneFails, FakeSession


class FakeWorker:
    """Runs every queued audit with `checks`, like `python -m compliance_app worker` would."""

    def __init__(self) -> None:
        self.checks: Sequence[Check] = ()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            audit_id = audit_queue.claim_next_audit("gate-test:1")
            if audit_id is None:
                self.stop.wait(0.1)
                continue
            engine.run_audit(audit_id, "gate-test:1", checks=self.checks,
                             sessions=[(Provider.GITHUB, FakeSession())])


@pytest.fixture
def worker(api_world: ApiWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWorker]:
    monkeypatch.setenv("ENGINE_OVERRIDE_MODULE", "tests.scans.fake_checks")  # something to scan
    get_settings.cache_clear()
    fake = FakeWorker()
    fake.thread.start()
    yield fake
    fake.stop.set()
    fake.thread.join(timeout=30)
    get_settings.cache_clear()


def run_gate(url: str, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "ENGINE_OVERRIDE_MODULE"}}
    env["COMPLIANCE_API_TOKEN"] = token  # as a CI secret would set it: never on the command line
    return subprocess.run(
        [sys.executable, "-m", "compliance_app", "gate", "--url", url, "--org", "acme", "--poll", "0.2", *args],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_gate_fails_the_pipeline_on_a_failing_scan(api_world: ApiWorld, loopback_server: str,
                                                   worker: FakeWorker) -> None:
    worker.checks = [FakeAllPass(), FakeOneFails()]
    result = run_gate(loopback_server, api_world.tokens[("a", "scan")], "--min-score", "50",
                      "--fail-on", "critical,high")
    assert result.returncode == 1, result.stderr
    assert "FAIL           critical fake_one_fails  (1 of 2 resources failing)" in result.stdout
    assert "PASS           high     fake_all_pass" in result.stdout
    assert result.stderr.strip() == (
        "error: gate failed: score 33 is below the minimum 50; 1 failing check of severity critical, high: "
        "fake_one_fails"
    )


def test_gate_passes_the_pipeline_on_a_passing_scan(api_world: ApiWorld, loopback_server: str,
                                                    worker: FakeWorker) -> None:
    worker.checks = [FakeAllPass()]
    result = run_gate(loopback_server, api_world.tokens[("a", "scan")])
    assert result.returncode == 0, result.stderr
    assert "PASS           high     fake_all_pass  (0 of 2 resources failing)" in result.stdout
    assert "gate passed: score 100 ≥ 80" in result.stdout and result.stderr == ""


def test_only_the_chosen_severities_fail_the_gate(api_world: ApiWorld, loopback_server: str,
                                                  worker: FakeWorker) -> None:
    worker.checks = [FakeAllPass(), FakeOneFails()]
    result = run_gate(loopback_server, api_world.tokens[("a", "scan")], "--min-score", "0", "--fail-on", "high")
    assert result.returncode == 0, result.stderr


def test_gate_refuses_clearly(api_world: ApiWorld, loopback_server: str) -> None:
    read_only = run_gate(loopback_server, api_world.tokens[("a", "read")])
    assert read_only.returncode == 1
    assert read_only.stderr.startswith("error: POST /orgs/acme/scans: HTTP 403 This token's scope does not allow")
    bad_token = run_gate(loopback_server, "cat_nope")
    assert bad_token.returncode == 1 and "HTTP 401" in bad_token.stderr
    assert "cat_nope" not in bad_token.stderr
    bad_url = run_gate("ftp://example", api_world.tokens[("a", "scan")])
    assert bad_url.returncode == 2 and "--url" in bad_url.stderr
    bad_severity = run_gate(loopback_server, api_world.tokens[("a", "scan")], "--fail-on", "urgent")
    assert bad_severity.returncode == 2 and "unknown severity urgent" in bad_severity.stderr
