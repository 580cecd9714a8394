"""ENGINE_OVERRIDE_MODULE for worker processes in the notification tests: one critical check
whose findings a test writes to the JSON file named by SCRIPTED_FINDINGS_FILE before each scan
([["repo-a", "PASS"]], then [["repo-a", "FAIL"]]), so a real worker sees a failure appear."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

from compliance_app.checks.base import Check, Finding
from compliance_app.models import EvidenceStatus, Provider, Severity
from tests.scans.fake_checks import FakeSession, fake_meta


class BranchProtection(Check):
    meta = fake_meta("done_when_branch_protection", Severity.CRITICAL)

    def run(self, session: Any) -> list[Finding]:
        findings = json.loads(Path(os.environ["SCRIPTED_FINDINGS_FILE"]).read_text())
        return [Finding(r, EvidenceStatus(s), f"{r}: default branch protection is {'on' if s == 'PASS' else 'off'}",
                        {"repository": r}) for r, s in findings]


CHECKS = [BranchProtection()]


def open_sessions(organization_id: uuid.UUID) -> list[tuple[Provider, FakeSession]]:
    return [(Provider.GITHUB, FakeSession())]
