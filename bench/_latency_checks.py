"""Engine override for benchmarks (ENGINE_OVERRIDE_MODULE=bench._latency_checks).

BENCH_CHECKS checks, each making BENCH_CALLS simulated API calls of BENCH_LATENCY seconds,
so an audit's cost is provider latency, as in production, not CPU.
"""

from __future__ import annotations

import os
import time
import uuid

from compliance_app.checks.base import Check, CheckMeta, Finding
from compliance_app.models import EvidenceStatus, Provider, Severity

LATENCY = float(os.environ.get("BENCH_LATENCY", "0.05"))
CALLS = int(os.environ.get("BENCH_CALLS", "4"))
COUNT = int(os.environ.get("BENCH_CHECKS", "10"))


class LatencySession:
    scope = "bench-org"

    def call(self) -> None:
        time.sleep(LATENCY)


class LatencyCheck(Check):
    def __init__(self, n: int) -> None:
        self.meta = CheckMeta(
            key=f"bench_latency_{n:02d}", title=f"Latency check {n}", provider=Provider.GITHUB,
            service="bench", severity=list(Severity)[n % 4],
            frameworks={"SOC 2": ["CC6.1"], "ISO 27001": ["5.15"]}, rationale="Benchmark.",
            remediation="Nothing to do.",
        )

    def run(self, session: LatencySession) -> list[Finding]:
        for _ in range(CALLS):
            session.call()
        status = EvidenceStatus.FAIL if self.meta.key.endswith("3") else EvidenceStatus.PASS
        return [Finding(f"resource-{i}", status, "checked", {"i": i}) for i in range(3)]


CHECKS = [LatencyCheck(n) for n in range(COUNT)]


def open_sessions(organization_id: uuid.UUID) -> list[tuple[Provider, LatencySession]]:
    return [(Provider.GITHUB, LatencySession())]
