"""Checks whose findings a test writes out, so two scans of one organization differ exactly as
the test says (checks added to or dropped from the catalog, resources appearing and going)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from compliance_app.checks.base import Check, Finding
from compliance_app.models import EvidenceStatus, Organization, Provider, Severity
from compliance_app.providers.base import CollectionError
from tests.scans import fake_checks
from tests.scans.fake_checks import fake_meta
from tests.scans.helpers import run_scan

#: A check's findings: (resource id, status) pairs; "unreadable" raises CollectionError.
Script = Sequence[tuple[str, str]] | str


def scripted(key: str, severity: Severity, findings: Script) -> Check:
    """A check named `key` that reports `findings` (an empty list: nothing in scope, N/A)."""

    class Scripted(Check):
        meta = fake_meta(key, severity)

        def run(self, session: Any) -> list[Finding]:
            if findings == "unreadable":
                raise CollectionError("403 Forbidden: the token lacks the read:org scope")
            return [Finding(r, EvidenceStatus(s), f"{r} is {s}", {"resource": r}) for r, s in findings]

    Scripted.__name__ = key
    return Scripted()


def scan_with(org: Organization, catalog: dict[str, tuple[Severity, Script]]):
    """Run one audit of `org` with exactly these checks; returns the stored audit."""
    checks = [scripted(key, severity, findings) for key, (severity, findings) in catalog.items()]
    return run_scan(org, checks=checks, sessions=[(Provider.GITHUB, fake_checks.FakeSession())])
