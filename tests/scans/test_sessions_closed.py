"""Provider sessions the engine opened are closed when their audit is done: a long-running
worker must not keep every audit's thread pools, clients and collected data alive."""

from __future__ import annotations

import threading

import pytest

from compliance_app.models import AuditStatus
from compliance_app.providers.github import GitHubSession
from compliance_app.services import audit_queue, engine, integrations, scans
from compliance_app.services.authz import Actor
from tests.factories import actor_for, make_org, make_user
from tests.scans.helpers import WORKER, load_audit
from tests.support.github_server import GitHubServer


def test_sessions_are_closed_and_their_threads_end(db: str, github_server: GitHubServer,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    owner = make_user()
    org = make_org(owner)
    for i in range(6):
        github_server.add_repo(f"repo-{i}")
    integrations.add_github_integration(actor_for(owner), org.id, github_server.token, github_server.org_login,
                                        github_server.base_url)
    closed: list[GitHubSession] = []
    close = GitHubSession.close
    monkeypatch.setattr(GitHubSession, "close", lambda self: (closed.append(self), close(self))[1])
    audit = scans.request_scan(Actor.system("test"), org.id)
    assert audit_queue.claim_audit(audit.id, WORKER)
    engine.run_audit(audit.id, WORKER)
    assert load_audit(audit.id).status == AuditStatus.COMPLETED
    assert len(closed) == 1
    assert not [t for t in threading.enumerate() if t.name.startswith("github-call")]
