"""A whole scan of a GitHub integration whose token sees only some repositories: the audit
records it in Audit.scope and no repository check is PASS."""

from __future__ import annotations

from compliance_app.checks.registry import checks_for
from compliance_app.models import AuditStatus
from compliance_app.services import integrations
from compliance_app.vocabulary import EvidenceStatus, Provider
from tests.factories import actor_for, make_org, make_user
from tests.scans.helpers import evidence_of, run_stored_scan
from tests.support.github_server import GitHubServer


def test_partial_token_scan_records_coverage_and_errs_every_repository_check(
        db: str, github_server: GitHubServer) -> None:
    owner = make_user()
    org = make_org(owner)
    for i in range(4):
        repo = github_server.add_repo(f"svc-{i}", visible=i == 0)
        repo.protect(enforce_admins={"enabled": True},
                     required_pull_request_reviews={"required_approving_review_count": 1})
    row = integrations.add_github_integration(actor_for(owner), org.id, github_server.token,
                                              github_server.org_login, github_server.base_url)

    audit = run_stored_scan(org, checks_for(Provider.GITHUB))
    assert audit.status == AuditStatus.COMPLETED, audit.error
    scope = audit.scope[str(row.id)]
    assert scope["provider"] == "github" and scope["account"] == "acme"
    assert scope["scanned"] == ["acme/svc-0"] and scope["repositories_in_organization"] == 4
    assert any("sees 1 of 4 repositories of acme; the other 3 were not checked" in n for n in scope["notes"])

    rows = evidence_of(audit.id)
    for key in {k for k, _, _ in rows if k.startswith("repository_")}:
        by_resource = {resource: e.status for k, resource, e in rows if k == key}
        assert by_resource["acme"] == EvidenceStatus.ERROR, key  # never PASS on 1 of 4
    assert all(e.integration_id == row.id for _, _, e in rows)
