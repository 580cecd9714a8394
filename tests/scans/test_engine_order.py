"""The order a scan starts its checks in: the checks that looked at the most resources last time first."""

from __future__ import annotations

import threading

from compliance_app.checks.base import Check, Finding
from compliance_app.models import EvidenceStatus, Organization, Provider, Severity
from compliance_app.services import audit_queue, engine
from compliance_app.services.authz import Actor
from compliance_app.services.scans import request_scan
from tests.factories import make_org
from tests.scans.fake_checks import fake_meta
from tests.scans.helpers import WORKER, load_audit


class _Recorder:
    """A session that notes which check started when (one check at a time: concurrency 1)."""

    scope = "fake-org"

    def __init__(self, sizes: dict[str, int]) -> None:
        self.sizes = sizes
        self.started: list[str] = []
        self._lock = threading.Lock()

    def resources(self, key: str) -> int:
        with self._lock:
            self.started.append(key)
        return self.sizes[key]


def _sized(key: str) -> Check:
    class Sized(Check):
        meta = fake_meta(key, Severity.MEDIUM)

        def run(self, session: _Recorder) -> list[Finding]:
            return [Finding(f"r{i}", EvidenceStatus.PASS, "fine") for i in range(session.resources(key))]

    return Sized()


CHECKS = [_sized("fake_order_small"), _sized("fake_order_big"), _sized("fake_order_mid")]


def _scan(org: Organization, sizes: dict[str, int]) -> list[str]:
    session = _Recorder(sizes)
    audit = request_scan(Actor.system("test"), org.id)
    assert audit_queue.claim_audit(audit.id, WORKER)
    engine.run_audit(audit.id, WORKER, checks=CHECKS, sessions=[(Provider.GITHUB, session)], concurrency=1)
    assert load_audit(audit.id).status == "COMPLETED"
    return session.started


def test_the_first_scan_keeps_the_catalog_order_and_later_ones_start_the_largest_checks_first(db: str) -> None:
    org = make_org()
    sizes = {"fake_order_small": 1, "fake_order_big": 40, "fake_order_mid": 7}
    assert _scan(org, sizes) == ["fake_order_small", "fake_order_big", "fake_order_mid"]
    assert _scan(org, sizes) == ["fake_order_big", "fake_order_mid", "fake_order_small"]
    # the latest completed audit decides: the resources changed, so does the order
    changed = {"fake_order_small": 50, "fake_order_big": 2, "fake_order_mid": 7}
    assert _scan(org, changed) == ["fake_order_big", "fake_order_mid", "fake_order_small"]
    assert _scan(org, changed) == ["fake_order_small", "fake_order_mid", "fake_order_big"]


def test_another_organizations_audits_do_not_decide_the_order(db: str) -> None:
    other, mine = make_org(), make_org()
    _scan(other, {"fake_order_small": 90, "fake_order_big": 1, "fake_order_mid": 1})
    sizes = {"fake_order_small": 1, "fake_order_big": 40, "fake_order_mid": 7}
    assert _scan(mine, sizes) == ["fake_order_small", "fake_order_big", "fake_order_mid"]
