"""A scan with nothing to check is refused (bug 4); one where every check could not run says so (bug 3);
the demo organization is never scanned (bug 5)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from compliance_app.db import session_scope
from compliance_app.models import Audit, Organization, Provider, ScanFrequency
from compliance_app.services import audit_queue, dashboard, engine, integrations, scans
from compliance_app.services.authz import Actor
from compliance_app.services.demo import DEMO_ORG_SLUG, seed_demo
from compliance_app.services.errors import ValidationError
from tests.conftest import free_port, run_cli
from tests.factories import actor_for, make_org, make_user
from tests.scans import fake_checks


def _audits(org_id) -> int:
    with session_scope() as s:
        return len(s.exec(select(Audit.id).where(Audit.organization_id == org_id)).all())


def test_a_scan_with_no_integration_is_refused_and_writes_nothing(db):
    owner = make_user()
    org = make_org(owner)
    with pytest.raises(ValidationError, match=r"^Nothing to scan: connect GitHub or AWS under Integrations"):
        scans.start_scan(actor_for(owner), org.id)
    assert _audits(org.id) == 0


def test_cli_scan_refuses_with_the_same_sentence(db, monkeypatch, capsys):
    owner = make_user()
    org = make_org(owner)
    monkeypatch.delenv("ENGINE_OVERRIDE_MODULE", raising=False)
    code, out, err = run_cli(monkeypatch, capsys, "scan", "--org", org.slug)
    assert code != 0 and out == ""
    assert err.strip() == f"error: {scans.NOTHING_TO_SCAN}"
    assert _audits(org.id) == 0


def test_the_demo_organization_is_never_scheduled_nor_scanned(db):
    seed_demo()
    with session_scope() as s:
        demo = s.exec(select(Organization).where(Organization.slug == DEMO_ORG_SLUG)).one()
        assert demo.is_demo and demo.scan_frequency == ScanFrequency.OFF
    before = _audits(demo.id)
    integrations.add_github_integration(Actor.system(), demo.id, "ghp_demoToken000001", "acme-gh",
                                        f"http://127.0.0.1:{free_port()}")
    assert audit_queue.enqueue_due_scans() == []
    with pytest.raises(ValidationError, match="demo organization"):
        scans.start_scan(Actor.system(), demo.id)
    assert _audits(demo.id) == before
    summary = dashboard.dashboard_summary(Actor.system(), demo.id)
    assert summary.is_demo and summary.last_scan_problem is None


def test_seed_demo_flags_a_demo_organization_seeded_before_the_flag(db):
    seed_demo()
    with session_scope() as s:
        demo = s.exec(select(Organization).where(Organization.slug == DEMO_ORG_SLUG)).one()
        demo.is_demo, demo.scan_frequency = False, ScanFrequency.DAILY
    seed_demo()
    with session_scope() as s:
        demo = s.exec(select(Organization).where(Organization.slug == DEMO_ORG_SLUG)).one()
        assert demo.is_demo and demo.scan_frequency == ScanFrequency.OFF


def test_a_scan_whose_checks_all_could_not_run_says_so(db):
    owner = make_user()
    org = make_org(owner)
    integrations.add_github_integration(Actor.system(), org.id, "ghp_unreachable0001", "acme-gh",
                                        f"http://127.0.0.1:{free_port()}")
    audit = scans.start_scan(actor_for(owner), org.id)
    assert audit_queue.claim_audit(audit.id, "test:1")
    engine.run_audit(audit.id, "test:1", checks=[fake_checks.FakeCannotRead(), fake_checks.FakeCrashes()],
                     sessions=[(Provider.GITHUB, fake_checks.FakeSession())])
    summary = dashboard.dashboard_summary(actor_for(owner), org.id)
    assert summary.score is None and summary.last_scan_status == "COMPLETED"
    assert summary.last_scan_problem is not None
    assert summary.last_scan_problem.startswith(
        "2 checks could not run: 403 Forbidden: the token lacks the read:org scope — fix the integration.")
    rows = dashboard.list_audit_rows(actor_for(owner), org.id).items
    assert rows[0].problem == summary.last_scan_problem
