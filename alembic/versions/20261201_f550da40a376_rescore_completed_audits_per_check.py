"""rescore completed audits per check: score, check counts and ScanHistory (DESIGN.md §4)

Audits completed before this revision were scored per resource (every evidence row one
weighted vote), so 1,300 passing snapshots drowned a public bucket. This data migration
recomputes, for every COMPLETED audit, the score, Audit.counts (rows per status),
Audit.check_counts (checks per rolled-up result) and its ScanHistory point (checks per
result, resources passing/failing beside) with the per-check rule. Downgrade puts the
per-resource figures back.

Self-contained on purpose: the rule is written out here rather than imported from the
application's services, which may change after this revision; tests/scans/
test_rescore_migration.py checks that both agree. Snapshots are not touched (immutable).

Revision ID: f550da40a376
Revises: c4a1e2f3d5b6
Create Date: 2026-12-01 22:06:00
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'f550da40a376'
down_revision: str | None = 'c4a1e2f3d5b6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
_WEIGHT = {"critical": 10, "high": 5, "medium": 3, "low": 1}
_STATUSES = ("PASS", "FAIL", "RISK_ACCEPTED", "ERROR", "NOT_APPLICABLE")
_PASSING = ("PASS", "RISK_ACCEPTED")
_SCOREABLE = ("PASS", "FAIL", "RISK_ACCEPTED")
#: Worst first: the first status a check has rows of is its result (N/A only when alone).
_PRECEDENCE = ("FAIL", "ERROR", "RISK_ACCEPTED", "PASS", "NOT_APPLICABLE")

_audit = sa.table(
    'audit', sa.column('id', sa.Uuid()), sa.column('status', sa.String()), sa.column('score', sa.Integer()),
    sa.column('counts', _JSON), sa.column('check_counts', _JSON),
)
_evidence = sa.table('evidence', sa.column('audit_id', sa.Uuid()), sa.column('question_id', sa.Integer()),
                     sa.column('status', sa.String()))
_question = sa.table('question', sa.column('id', sa.Integer()), sa.column('key', sa.String()),
                     sa.column('severity', sa.String()))
_history = sa.table(
    'scan_history', sa.column('audit_id', sa.Uuid()), sa.column('score', sa.Integer()),
    *(sa.column(name, sa.Integer()) for name in (
        'total_pass', 'total_fail', 'total_accepted', 'total_error', 'total_not_applicable',
        'resources_passing', 'resources_failing')),
)


def _score(weighted: Iterator[tuple[str, int]]) -> int | None:
    """round(100 * weight passing / weight scoreable); None when nothing is scoreable."""
    passed = total = 0
    for status, weight in weighted:
        if status in _SCOREABLE:
            total += weight
            passed += weight if status in _PASSING else 0
    return None if total == 0 else round(100 * passed / total)


def _per_check(groups: list[tuple[str, str, str, int]]) -> dict[str, Any]:
    checks: dict[str, tuple[str, set[str]]] = {}
    resources = dict.fromkeys(_STATUSES, 0)
    for key, severity, status, n in groups:
        checks.setdefault(key, (severity, set()))[1].add(status)
        resources[status] += n
    results = {key: (sev, next(s for s in _PRECEDENCE if s in found)) for key, (sev, found) in checks.items()}
    check_counts = dict.fromkeys(_STATUSES, 0)
    for _sev, result in results.values():
        check_counts[result] += 1
    score = _score((result, _WEIGHT[sev]) for sev, result in results.values())
    return {"score": score, "counts": resources, "check_counts": check_counts, "totals": check_counts}


def _per_resource(groups: list[tuple[str, str, str, int]]) -> dict[str, Any]:
    resources = dict.fromkeys(_STATUSES, 0)
    for _key, _severity, status, n in groups:
        resources[status] += n
    score = _score((status, _WEIGHT[severity] * n) for _key, severity, status, n in groups)
    return {"score": score, "counts": resources, "check_counts": {}, "totals": resources}


def _rescore(rule: Any) -> None:
    conn = op.get_bind()
    completed = [row.id for row in conn.execute(sa.select(_audit.c.id).where(_audit.c.status == 'COMPLETED'))]
    groups: dict[Any, list[tuple[str, str, str, int]]] = defaultdict(list)
    for audit_id, key, severity, status, n in conn.execute(
        sa.select(_evidence.c.audit_id, _question.c.key, _question.c.severity, _evidence.c.status, sa.func.count())
        .select_from(_evidence.join(_question, _question.c.id == _evidence.c.question_id))
        .join(_audit, _audit.c.id == _evidence.c.audit_id)
        .where(_audit.c.status == 'COMPLETED')
        .group_by(_evidence.c.audit_id, _question.c.key, _question.c.severity, _evidence.c.status)
    ):
        groups[audit_id].append((key, severity, status, n))
    for audit_id in completed:
        figures = rule(groups.get(audit_id, []))
        totals, resources = figures["totals"], figures["counts"]
        conn.execute(_audit.update().where(_audit.c.id == audit_id).values(
            score=figures["score"], counts=resources, check_counts=figures["check_counts"]))
        conn.execute(_history.update().where(_history.c.audit_id == audit_id).values(
            score=figures["score"],
            total_pass=totals["PASS"], total_fail=totals["FAIL"], total_accepted=totals["RISK_ACCEPTED"],
            total_error=totals["ERROR"], total_not_applicable=totals["NOT_APPLICABLE"],
            resources_passing=resources["PASS"] + resources["RISK_ACCEPTED"], resources_failing=resources["FAIL"],
        ))


def upgrade() -> None:
    _rescore(_per_check)


def downgrade() -> None:
    _rescore(_per_resource)
