"""A completed audit's figures, computed once per web process and then read from memory.

The dashboard and the audit page show a completed audit's per-check results, counts and
readiness on every load. Computing them groups the audit's evidence (10,000 rows for a large
account) and joins the catalog: the dearest part of a page load, repeated by every manager
who opens it, for figures that almost never change.

Why the cache is exact: after completion, an audit's evidence changes only by risk acceptance
(FAIL -> RISK_ACCEPTED, services/risk.py), which rescores the audit in the same transaction
(audit_queue.rescore rewrites Audit.counts from the evidence). Each accepted row moves one
resource from FAIL to RISK_ACCEPTED, so the stored counts differ after every change: the key
(audit id, stored resource counts, check counts, score) names one state of the evidence. A
reader that sees an Audit row reads evidence committed with or after it, never older, so a
miss never files old figures under a new key. Audits not completed are computed every time.
The catalog's titles and framework mappings change only with a new release (a restart).

Callers authorize first and pass the Audit they loaded; entries are shared between users and
threads, so they are frozen and callers treat the rows as read-only.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlmodel import Session

from compliance_app.models import Audit, AuditStatus
from compliance_app.services.check_results import CheckRow, audit_score, check_rows
from compliance_app.services.readiness import FrameworkReadiness, framework_readiness
from compliance_app.services.scoring import AuditScore

#: Completed audits kept per process: each holds one row per check (about a hundred).
CAPACITY = 512


@dataclass(frozen=True)
class AuditFigures:
    result: AuditScore
    #: The rolled-up checks, worst first (check_results.check_rows' order).
    rows: tuple[CheckRow, ...]
    readiness: tuple[FrameworkReadiness, ...]


_cache: OrderedDict[tuple[str, ...], AuditFigures] = OrderedDict()
_lock = threading.Lock()


def _key(audit: Audit) -> tuple[str, ...]:
    return (str(audit.id), json.dumps(audit.counts or {}, sort_keys=True),
            json.dumps(audit.check_counts or {}, sort_keys=True), str(audit.score))


def compute(s: Session, audit: Audit) -> AuditFigures:
    """The figures from the stored evidence, now."""
    result = audit_score(s, audit.id)
    rows = check_rows(s, result)
    readiness = framework_readiness(
        {"question_key": r.question_key, "status": r.result, "frameworks": r.frameworks} for r in rows
    )
    return AuditFigures(result, tuple(rows), tuple(readiness))


def figures(s: Session, audit: Audit) -> AuditFigures:
    """The audit's figures: from memory for a completed audit seen before with the same stored
    counts, else computed (and kept, when completed)."""
    if audit.status != AuditStatus.COMPLETED:
        return compute(s, audit)
    key = _key(audit)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    found = compute(s, audit)
    with _lock:
        _cache[key] = found
        while len(_cache) > CAPACITY:
            _cache.popitem(last=False)
    return found

