"""The engine side of the contract the providers and checks build on.

- a check that finds nothing in scope ([]) stores one row saying what that means for it
  (CheckMeta.when_empty: NOT_APPLICABLE by default, PASS for account-level settings);
- every evidence row records the integration it came from;
- each session's coverage() lands in Audit.scope under its integration id.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import pytest

from compliance_app.checks.base import Check, CheckMeta, Finding
from compliance_app.db import session_scope
from compliance_app.models import EvidenceStatus, Integration, Provider, Severity
from compliance_app.services import integrations
from tests.factories import make_org
from tests.scans.fake_checks import FakeSession, fake_meta
from tests.scans.helpers import evidence_of, run_scan, run_stored_scan


class _Nothing(Check):
    meta = dataclasses.replace(fake_meta("fake_rds_encrypted", Severity.HIGH), service="rds")

    def run(self, session: object) -> list[Finding]:
        return []


class _NothingMeansFine(Check):
    meta = dataclasses.replace(
        fake_meta("fake_no_root_keys", Severity.CRITICAL), service="iam", when_empty=EvidenceStatus.PASS
    )

    def run(self, session: object) -> list[Finding]:
        return []


class _OneRepo(Check):
    meta = fake_meta("fake_repo_protected", Severity.HIGH)

    def run(self, session: Any) -> list[Finding]:
        return [Finding(f"{session.scope}/repo", EvidenceStatus.FAIL, "not protected")]


def test_a_check_with_nothing_in_scope_stores_one_not_applicable_row(db: str) -> None:
    audit = run_scan(make_org(), checks=[_Nothing()])
    [(key, resource, row)] = evidence_of(audit.id)
    assert (key, resource, row.status) == ("fake_rds_encrypted", "fake-org", EvidenceStatus.NOT_APPLICABLE)
    assert row.message == "No rds resource in scope: this check does not apply."
    assert audit.counts["NOT_APPLICABLE"] == 1
    assert audit.score is None  # N/A is never scored, and nothing else was


def test_a_check_whose_empty_means_fine_stores_a_pass_row(db: str) -> None:
    audit = run_scan(make_org(), checks=[_NothingMeansFine()])
    [(_, _, row)] = evidence_of(audit.id)
    assert row.status == EvidenceStatus.PASS
    assert row.message == "No iam resource in scope: nothing to fix for this check."
    assert audit.score == 100


def test_when_empty_may_only_be_not_applicable_or_pass() -> None:
    with pytest.raises(ValueError, match="when_empty"):
        dataclasses.replace(fake_meta("fake_x_y", Severity.LOW), when_empty=EvidenceStatus.FAIL).validate()
    CheckMeta.validate(fake_meta("fake_x_y", Severity.LOW))  # the default is valid


class _CoveredSession(FakeSession):
    def __init__(self, login: str) -> None:
        self.scope = login

    def coverage(self) -> dict[str, Any]:
        return {"provider": "github", "account": self.scope, "scanned": 3, "skipped": {},
                "notes": [f"The token sees 3 of 10 repositories of {self.scope}."]}


def test_evidence_records_its_integration_and_the_audit_its_coverage(db: str, monkeypatch) -> None:
    org = make_org()
    with session_scope() as s:
        rows = [Integration(organization_id=org.id, provider=Provider.GITHUB, name=n) for n in ("acme", "beta")]
        s.add_all(rows)
        s.flush()
        ids = {row.name: row.id for row in rows}
    broken = SimpleNamespace(id=None, provider="github")
    monkeypatch.setattr(
        integrations, "load_scan_sessions",
        lambda _org: [
            integrations.ScanTarget(SimpleNamespace(id=ids[n], provider="github"), _CoveredSession(n), None)
            for n in ("acme", "beta")
        ] + [integrations.ScanTarget(broken, None, "Could not open the github integration 'gone': bad token")],
    )
    audit = run_stored_scan(org, checks=[_OneRepo()])

    by_resource = {resource: row.integration_id for _, resource, row in evidence_of(audit.id)}
    assert by_resource["acme/repo"] == ids["acme"] and by_resource["beta/repo"] == ids["beta"]
    assert audit.scope[str(ids["acme"])]["notes"] == ["The token sees 3 of 10 repositories of acme."]
    assert audit.scope[str(ids["beta"])]["account"] == "beta"
    assert audit.scope["github"] == {
        "provider": "github", "error": "Could not open the github integration 'gone': bad token"
    }

