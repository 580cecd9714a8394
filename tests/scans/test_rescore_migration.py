"""The data migration f550da40a376 rescores completed audits per check (DESIGN.md §4).

An audit with 100 passing snapshots and one public bucket (both critical) scored 99 per
resource; after the migration it scores 50 per check, its ScanHistory point counts checks,
and the figures equal what the application's one scoring function says. Downgrading puts
the per-resource figures back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlmodel import select

from compliance_app.db import reset_engine, session_scope
from compliance_app.models import Audit, AuditStatus, Evidence, Question, ScanHistory
from compliance_app.models.types import utcnow
from compliance_app.services.check_results import audit_score
from tests.conftest import PROJECT_ROOT
from tests.factories import make_org
from tests.support.scratch_db import empty_database

REVISION, BEFORE = "f550da40a376", "c4a1e2f3d5b6"


@pytest.fixture
def migrated(monkeypatch: pytest.MonkeyPatch, pg_url: str) -> Iterator[Config]:
    with empty_database("ca_rescore") as url:
        monkeypatch.setenv("DATABASE_URL", url)
        reset_engine()
        cfg = Config(str(PROJECT_ROOT / "alembic.ini"), attributes={"configure_logger": False})
        command.upgrade(cfg, "head")
        try:
            yield cfg
        finally:
            monkeypatch.setenv("DATABASE_URL", pg_url)
            reset_engine()


def _questions() -> dict[str, int]:
    with session_scope() as s:
        questions = [
            Question(key="t_ebs_snapshot_private", title="Snapshots are private", provider="aws",
                     severity="critical", frameworks={"SOC 2": ["CC6.1"]}),
            Question(key="t_s3_bucket_private", title="Buckets are private", provider="aws", severity="critical",
                     frameworks={"SOC 2": ["CC6.1"]}),
            Question(key="t_rds_encrypted", title="RDS is encrypted", provider="aws", severity="high",
                     frameworks={"SOC 2": ["CC6.7"]}),
        ]
        s.add_all(questions)
        s.flush()
        return {q.key: q.id for q in questions}


def _audit_with_drowned_bucket(q: dict[str, int], status: AuditStatus = AuditStatus.COMPLETED) -> Audit:
    org = make_org()
    with session_scope() as s:
        now = utcnow()
        audit = Audit(organization_id=org.id, status=status, created_at=now - timedelta(minutes=2),
                      finished_at=now, score=99, counts={"PASS": 100, "FAIL": 1})
        s.add(audit)
        s.flush()
        rows = [("t_ebs_snapshot_private", "PASS", f"snap-{i}") for i in range(100)]
        rows += [("t_s3_bucket_private", "FAIL", "public-bucket"), ("t_rds_encrypted", "NOT_APPLICABLE", "acct")]
        s.add_all([Evidence(audit_id=audit.id, question_id=q[key], status=st, resource_id=r) for key, st, r in rows])
        if status == AuditStatus.COMPLETED:
            s.add(ScanHistory(organization_id=org.id, date=now.date(), score=99, total_pass=100, total_fail=1,
                              audit_id=audit.id))
        return audit


def _figures(audit_id) -> tuple:
    """Only the columns this migration knows: the models have columns later migrations add (audit.changes)."""
    with session_scope() as s:
        score, check_counts, counts = s.exec(
            select(Audit.score, Audit.check_counts, Audit.counts).where(Audit.id == audit_id)).one()
        history = s.exec(select(ScanHistory).where(ScanHistory.audit_id == audit_id)).first()
        return score, check_counts, counts, history


def test_completed_audits_scored_per_resource_get_the_per_check_score(migrated: Config) -> None:
    q = _questions()
    done = _audit_with_drowned_bucket(q)
    running = _audit_with_drowned_bucket(q, AuditStatus.RUNNING)
    command.downgrade(migrated, BEFORE)  # the figures as the per-resource rule left them
    score, check_counts, counts, history = _figures(done.id)
    assert (score, check_counts, history.score, history.total_pass, history.total_fail) == (99, {}, 99, 100, 1)

    command.upgrade(migrated, REVISION)
    score, check_counts, counts, history = _figures(done.id)
    assert score == 50  # two critical checks, one fails; the high one had nothing in scope
    assert check_counts == {"PASS": 1, "FAIL": 1, "RISK_ACCEPTED": 0, "ERROR": 0, "NOT_APPLICABLE": 1}
    assert counts == {"PASS": 100, "FAIL": 1, "RISK_ACCEPTED": 0, "ERROR": 0, "NOT_APPLICABLE": 1}
    assert (history.score, history.total_pass, history.total_fail, history.total_not_applicable) == (50, 1, 1, 1)
    assert (history.resources_passing, history.resources_failing) == (100, 1)
    with session_scope() as s:  # the migration's copy of the rule agrees with the application's
        expected = audit_score(s, done.id)
    assert (expected.score, expected.check_counts) == (score, check_counts)
    assert _figures(running.id)[0] == 99  # only completed audits are rescored

