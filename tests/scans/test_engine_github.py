"""The engine end to end with the real GitHub catalog against the local GitHub stand-in."""

from __future__ import annotations

from sqlmodel import select

from compliance_app.checks.registry import checks_for
from compliance_app.db import session_scope
from compliance_app.models import AuditStatus, EvidenceStatus, Integration, Provider
from compliance_app.services import audit_queue, engine, integrations, scans
from compliance_app.services.authz import Actor
from tests.factories import actor_for, make_org, make_user
from tests.scans.helpers import WORKER, evidence_of, load_audit
from tests.support.github_server import GitHubServer


def _scan(org_id) -> object:
    audit = scans.request_scan(Actor.system("test"), org_id)
    assert audit_queue.claim_audit(audit.id, WORKER)
    engine.run_audit(audit.id, WORKER)
    return load_audit(audit.id)


def _integration_status() -> list[str | None]:
    with session_scope() as s:
        return [i.last_used_status for i in s.exec(select(Integration).order_by(Integration.created_at)).all()]


def test_catalog_scan_against_the_github_stand_in(db: str, github_server: GitHubServer) -> None:
    owner = make_user()
    org = make_org(owner)
    github_server.add_member("alice", two_factor=False)
    github_server.add_repo("api", private=True)
    integrations.add_github_integration(actor_for(owner), org.id, github_server.token,
                                        github_server.org_login, github_server.base_url)

    audit = _scan(org.id)
    assert audit.status == AuditStatus.COMPLETED, audit.error
    assert audit.progress_total == len(checks_for(Provider.GITHUB))  # no AWS integration: no AWS checks
    rows = evidence_of(audit.id)
    assert rows and all(e.status != EvidenceStatus.ERROR for _, _, e in rows), [
        (k, e.message) for k, _, e in rows if e.status == EvidenceStatus.ERROR]
    assert audit.score is not None and audit.counts["FAIL"] >= 1  # alice has no 2FA
    assert _integration_status() == ["ok"]
    assert github_server.token not in str([e.raw_data for _, _, e in rows])


def test_an_integration_that_cannot_connect_gives_error_evidence_with_the_reason(
    db: str, github_server: GitHubServer
) -> None:
    owner = make_user()
    org = make_org(owner)
    integrations.add_github_integration(actor_for(owner), org.id, "ghp_wrong_token_000000000000",
                                        github_server.org_login, github_server.base_url)
    audit = _scan(org.id)
    assert audit.status == AuditStatus.COMPLETED
    rows = evidence_of(audit.id)
    assert rows and all(e.status == EvidenceStatus.ERROR for _, _, e in rows)
    assert audit.score is None
    status = _integration_status()[0]
    assert status and status != "ok" and "ghp_wrong_token" not in status
