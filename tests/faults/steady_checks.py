"""Checks for fault tests (ENGINE_OVERRIDE_MODULE=tests.faults.steady_checks): their results
arrive steadily over the whole scan, so a fault injected in the middle of it finds
evidence already written, evidence waiting to be written, and checks still running.

Check i (0-based) answers after (i + 1) * STEADY_CHECK_SECONDS with two resources; run
them all at once (CHECK_CONCURRENCY=len(CHECKS)) to spread the results over the scan.
They wait on an Event rather than time.sleep, which fails with EINVAL under Debian's
libfaketime 0.9.10 with Python 3.11 (wolfcw/libfaketime#426), so clock-skew tests can use them.
"""

from __future__ import annotations

import os
import threading
import uuid

from compliance_app.checks.base import Check, Finding
from compliance_app.models import EvidenceStatus, Provider, Severity
from tests.scans.fake_checks import FakeSession, fake_meta

STEP = float(os.environ.get("STEADY_CHECK_SECONDS", "0.05"))
COUNT = 16
RESOURCES = ("repo-a", "repo-b")


class SteadyCheck(Check):
    index: int

    def run(self, session: FakeSession) -> list[Finding]:
        threading.Event().wait((self.index + 1) * STEP)
        status = EvidenceStatus.FAIL if self.index % 4 == 0 else EvidenceStatus.PASS
        return [Finding(r, status, f"{r}: steady check {self.index}", {"repo": r, "check": self.index})
                for r in RESOURCES]


def _steady(index: int) -> Check:
    meta = fake_meta(f"steady_{index:02d}", Severity.HIGH if index % 3 else Severity.CRITICAL)
    return type(f"Steady{index:02d}", (SteadyCheck,), {"meta": meta, "index": index})()


CHECKS = [_steady(i) for i in range(COUNT)]
#: Evidence rows one audit produces: every check reports both resources.
EVIDENCE_PER_AUDIT = COUNT * len(RESOURCES)


def open_sessions(organization_id: uuid.UUID) -> list[tuple[Provider, FakeSession]]:
    return [(Provider.GITHUB, FakeSession())]
