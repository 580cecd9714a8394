"""A stand-in provider and checks for engine and worker tests (ENGINE_OVERRIDE_MODULE).

Worker subprocesses load this module by name, so their audits run these checks against
FakeSession instead of the catalog against real integrations. FAKE_CHECK_SECONDS sets the
simulated API latency; the first check is ten times faster than the others, so an audit
has evidence on disk well before it finishes (what kill -9 tests need).
"""

from __future__ import annotations

import os
import time
import uuid

from compliance_app.checks.base import Check, CheckMeta, Finding
from compliance_app.models import EvidenceStatus, Provider, Severity
from compliance_app.providers.base import CollectionError

DELAY = float(os.environ.get("FAKE_CHECK_SECONDS", "0.05"))


class FakeSession:
    scope = "fake-org"

    def call(self, seconds: float = DELAY) -> None:
        time.sleep(seconds)


def fake_meta(key: str, severity: Severity, provider: Provider = Provider.GITHUB) -> CheckMeta:
    return CheckMeta(
        key=key, title=f"Fake {key}", provider=provider, service="fake", severity=severity,
        frameworks={"SOC 2": ["CC6.1"], "ISO 27001": ["5.15"]}, rationale="For tests.",
        remediation=f"Fix {key}.",
    )


class FakeAllPass(Check):
    meta = fake_meta("fake_all_pass", Severity.HIGH)

    def run(self, session: FakeSession) -> list[Finding]:
        session.call(DELAY / 10)
        return [Finding(r, EvidenceStatus.PASS, f"{r} is fine", {"repo": r}) for r in ("repo-a", "repo-b")]


class FakeOneFails(Check):
    meta = fake_meta("fake_one_fails", Severity.CRITICAL)

    def run(self, session: FakeSession) -> list[Finding]:
        session.call()
        return [
            Finding("repo-a", EvidenceStatus.FAIL, "repo-a has no protection", {"repo": "repo-a", "on": False}),
            Finding("repo-b", EvidenceStatus.PASS, "repo-b is protected", {"repo": "repo-b", "on": True}),
        ]


class FakeCannotRead(Check):
    meta = fake_meta("fake_cannot_read", Severity.MEDIUM)

    def run(self, session: FakeSession) -> list[Finding]:
        session.call()
        raise CollectionError("403 Forbidden: the token lacks the read:org scope")


class FakeCrashes(Check):
    meta = fake_meta("fake_crashes", Severity.LOW)

    def run(self, session: FakeSession) -> list[Finding]:
        session.call()
        raise RuntimeError("unexpected payload")


CHECKS = [FakeAllPass(), FakeOneFails(), FakeCannotRead(), FakeCrashes()]
#: Evidence rows one audit produces with CHECKS against one FakeSession.
EVIDENCE_PER_AUDIT = 6


def open_sessions(organization_id: uuid.UUID) -> list[tuple[Provider, FakeSession]]:
    return [(Provider.GITHUB, FakeSession())]
