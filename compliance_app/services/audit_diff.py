"""What changed between two audits of one organization: the "since the last scan" view.

Managers do not re-read an audit every day; they need to hear what got worse. The diff is
computed once, when an audit completes (audit_queue.complete calls `record_changes` in the
same transaction), against the organization's previous completed audit, and stored on the
audit (Audit.changes), so the dashboard, the audit page and the notifications only read it.

Checks are compared by their rolled-up result (scoring.check_result, DESIGN.md §4), and the
resources inside a check by (integration, region, resource id):

- started failing: FAIL now, anything else (or not checked at all: new in the catalog) before;
- fixed: PASS now, FAIL or accepted before;
- accepted: FAIL before, RISK_ACCEPTED now (a risk acceptance is not a fix);
- could not run: ERROR now, with what it was before (losing read access must never look
  like an improvement, so a FAIL that became ERROR is listed here, not under fixed);
- no longer in scope: checked before, now NOT_APPLICABLE (nothing there any more) or not
  checked at all (the check left the catalog, or its integration was removed), told apart
  from fixed; likewise resources that were there before and are gone now;
- added: checks that were not part of the previous audit (added to the catalog since).

`changed` is False when nothing a person should hear about moved (same failures, same
score): the notifications use it to stay quiet on an unchanged scan.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from compliance_app.db import session_scope
from compliance_app.models import Audit, AuditStatus, Evidence, Question
from compliance_app.services.authz import Actor, Permission, authorize
from compliance_app.services.errors import ValidationError
from compliance_app.services.scans import access_audit
from compliance_app.services.scoring import check_result
from compliance_app.vocabulary import SEVERITY_WEIGHT, EvidenceStatus, Severity

#: Bump when the stored document changes shape; older documents are recomputed when read.
FORMAT = 1
#: Resources named per check and category; the count beside says how many there are in all.
MAX_RESOURCES = 20

_FAIL = EvidenceStatus.FAIL.value
_PASS = EvidenceStatus.PASS.value
_ACCEPTED = EvidenceStatus.RISK_ACCEPTED.value
_ERROR = EvidenceStatus.ERROR.value
_NA = EvidenceStatus.NOT_APPLICABLE.value
#: Results that say something about the resources in scope (N/A says there are none).
_IN_SCOPE = frozenset({_PASS, _FAIL, _ACCEPTED, _ERROR})


@dataclass
class CheckState:
    """One check of one audit: its result and its resources' statuses."""

    key: str
    title: str
    severity: str
    result: str = _NA
    #: resource identity -> (label shown to people, status)
    resources: dict[str, tuple[str, str]] = field(default_factory=dict)


def resource_identity(integration_id: uuid.UUID | str | None, region: str | None, resource_id: str) -> str:
    """Resources of two accounts never collide: the integration and region are part of the identity."""
    return f"{integration_id or ''}|{region or ''}|{resource_id}"


def resource_label(resource_id: str, region: str | None) -> str:
    return f"{resource_id} [{region}]" if region else resource_id


def build_states(rows: Iterable[tuple[str, str, str, Any, str | None, str, str]]) -> dict[str, CheckState]:
    """(key, title, severity, integration id, region, resource id, status) rows -> checks.

    Runs over every evidence row of two audits at each completion (a large account has
    hundreds of thousands), so per row it does no more than look up and format."""
    states: dict[str, CheckState] = {}
    for key, title, severity, integration_id, region, resource_id, status in rows:
        state = states.get(key)
        if state is None:
            state = states[key] = CheckState(key, title, Severity(severity).value)
        value = _status_value(status)
        if value != _NA:
            state.resources[resource_identity(integration_id, region, resource_id)] = (
                resource_label(resource_id, region), value)
    for state in states.values():
        state.result = check_result(s for _, s in state.resources.values()).value
    return states


#: A status (member or its value: a StrEnum member hashes as its value) -> its value.
_STATUS_VALUES = {status.value: status.value for status in EvidenceStatus}


def _status_value(status: str) -> str:
    try:
        return _STATUS_VALUES[status]
    except KeyError:
        raise ValueError(f"{status!r} is not a valid {EvidenceStatus.__name__}") from None


def _check_entry(current: CheckState | None, previous: CheckState | None) -> dict[str, Any]:
    state = current or previous
    assert state is not None
    resources = (current or CheckState(state.key, state.title, state.severity)).resources
    return {
        "key": state.key,
        "title": state.title,
        "severity": state.severity,
        "previous": previous.result if previous else None,
        "current": current.result if current else None,
        "failing": sum(1 for _, s in resources.values() if s == _FAIL),
        "total": len(resources),
    }


def _named(labels: list[str]) -> dict[str, Any]:
    return {"count": len(labels), "items": sorted(labels)[:MAX_RESOURCES]}


def _resource_changes(current: CheckState, previous: CheckState) -> dict[str, Any] | None:
    """Resources newly failing, fixed, accepted and gone within one check present in both audits."""
    newly_failing, fixed, accepted, gone = [], [], [], []
    for ident, (label, status) in current.resources.items():
        before = previous.resources.get(ident, (label, None))[1]
        if status == _FAIL and before != _FAIL:
            newly_failing.append(label)
        elif status == _PASS and before in (_FAIL, _ACCEPTED):
            fixed.append(label)
        elif status == _ACCEPTED and before == _FAIL:
            accepted.append(label)
    if current.result != _ERROR:  # resources of a check that could not be read are unknown, not gone
        gone = [label for ident, (label, _) in previous.resources.items() if ident not in current.resources]
    if not (newly_failing or fixed or accepted or gone):
        return None
    return {
        **_check_entry(current, previous),
        "newly_failing": _named(newly_failing),
        "fixed": _named(fixed),
        "accepted": _named(accepted),
        "out_of_scope": _named(gone),
    }


def _order(entry: Mapping[str, Any]) -> tuple[int, str]:
    return (-SEVERITY_WEIGHT[Severity(entry["severity"])], entry["key"])


def diff_states(
    current: Mapping[str, CheckState],
    previous: Mapping[str, CheckState],
    current_score: int | None,
    previous_score: int | None,
) -> dict[str, Any]:
    """The change document between two audits' checks (pure; see the module docstring)."""
    started_failing, fixed, accepted, could_not_run, out_of_scope, added, resources = [], [], [], [], [], [], []
    for key, now in current.items():
        before = previous.get(key)
        was = before.result if before else None
        if before is None:
            added.append(_check_entry(now, None))
        if now.result == _FAIL and was != _FAIL:
            started_failing.append(_check_entry(now, before))
        elif now.result == _PASS and was in (_FAIL, _ACCEPTED):
            fixed.append(_check_entry(now, before))
        elif now.result == _ACCEPTED and was == _FAIL:
            accepted.append(_check_entry(now, before))
        elif now.result == _ERROR:
            could_not_run.append(_check_entry(now, before))
        elif now.result == _NA and was in _IN_SCOPE:
            out_of_scope.append({**_check_entry(now, before), "reason": "nothing in scope any more"})
        if before is not None and (changes := _resource_changes(now, before)) is not None:
            resources.append(changes)
    for key, before in previous.items():
        if key not in current and before.result in _IN_SCOPE:
            out_of_scope.append({**_check_entry(None, before), "reason": "not checked this time"})
    score_change = None if current_score is None or previous_score is None else current_score - previous_score
    checks = {
        "started_failing": sorted(started_failing, key=_order),
        "fixed": sorted(fixed, key=_order),
        "accepted": sorted(accepted, key=_order),
        "could_not_run": sorted(could_not_run, key=_order),
        "out_of_scope": sorted(out_of_scope, key=_order),
        "added": sorted(added, key=_order),
    }
    newly_unreadable = [c for c in could_not_run if c["previous"] != _ERROR]
    changed = bool(
        started_failing or fixed or accepted or newly_unreadable or out_of_scope or resources
        or current_score != previous_score
    )
    return {
        "format": FORMAT,
        "score": {"previous": previous_score, "current": current_score, "change": score_change},
        "checks": checks,
        "resources": sorted(resources, key=_order),
        "changed": changed,
    }


def load_states(s: Session, *audit_ids: uuid.UUID) -> dict[uuid.UUID, dict[str, CheckState]]:
    """The audits' checks with their resources, from their stored evidence, in one query.

    Only the columns the comparison reads, strings as the database sends them (no enum
    conversion per row), never raw_data, and through Core (no ORM row loading): this runs over
    two audits' rows at every completion."""
    s.flush()  # Core does not autoflush: statuses changed in this session (risk acceptance) count
    rows = s.connection().execute(
        sa.select(Evidence.audit_id, Question.key, Question.title, sa.type_coerce(Question.severity, sa.String),
                  Evidence.integration_id, Evidence.region, Evidence.resource_id,
                  sa.type_coerce(Evidence.status, sa.String))
        .join(Question, Question.id == Evidence.question_id)
        .where(Evidence.audit_id.in_(audit_ids))
    )
    per_audit: dict[uuid.UUID, list[Any]] = {}
    for audit_id, *row in rows:
        per_audit.setdefault(audit_id, []).append(row)
    return {audit_id: build_states(audit_rows) for audit_id, audit_rows in per_audit.items()}


def previous_completed_audit(s: Session, audit: Audit) -> Audit | None:
    """The organization's latest completed audit created before this one."""
    return s.exec(
        select(Audit)
        .where(Audit.organization_id == audit.organization_id, Audit.status == AuditStatus.COMPLETED,
               Audit.id != audit.id, Audit.created_at < audit.created_at)
        .order_by(Audit.created_at.desc())
        .limit(1)
    ).first()


def compute_changes(s: Session, audit: Audit, previous: Audit | None) -> dict[str, Any]:
    """The change document from `previous` (None: the first scan, every check is new) to `audit`."""
    states = load_states(s, audit.id, *([previous.id] if previous else []))
    document = diff_states(
        states.get(audit.id, {}), states.get(previous.id, {}) if previous else {},
        audit.score, previous.score if previous else None,
    )
    return {
        "audit_id": str(audit.id),
        "audit_finished_at": audit.finished_at.isoformat() if audit.finished_at else None,
        "previous_audit_id": str(previous.id) if previous else None,
        "previous_finished_at": previous.finished_at.isoformat() if previous and previous.finished_at else None,
        **document,
    }


def record_changes(s: Session, audit: Audit) -> dict[str, Any]:
    """Compute and store the audit's changes since the previous completed audit (at completion)."""
    audit.changes = compute_changes(s, audit, previous_completed_audit(s, audit))
    return audit.changes


def _require_completed(audit: Audit) -> None:
    if audit.status != AuditStatus.COMPLETED:
        raise ValidationError(
            f"Audit {audit.id} is {str(audit.status).lower()}: only completed audits can be compared.",
            field="audit_id")


def _stored_or_computed(s: Session, audit: Audit) -> dict[str, Any]:
    if audit.changes and audit.changes.get("format") == FORMAT:
        return audit.changes
    return compute_changes(s, audit, previous_completed_audit(s, audit))


def get_audit_changes(actor: Actor, audit_id: uuid.UUID | str) -> dict[str, Any]:
    """What changed in this audit since the organization's previous completed audit."""
    with session_scope() as s:
        audit = access_audit(s, actor, audit_id, Permission.READ)[0]
        _require_completed(audit)
        return _stored_or_computed(s, audit)


def compare_audits(actor: Actor, base_id: uuid.UUID | str, audit_id: uuid.UUID | str) -> dict[str, Any]:
    """What changed from audit `base_id` to audit `audit_id` (any two completed audits of one organization)."""
    with session_scope() as s:
        base = access_audit(s, actor, base_id, Permission.READ)[0]
        audit = access_audit(s, actor, audit_id, Permission.READ)[0]
        if base.organization_id != audit.organization_id:
            raise ValidationError("These two audits belong to different organizations; only audits of one "
                                  "organization can be compared.", field="audit_id")
        _require_completed(base)
        _require_completed(audit)
        return compute_changes(s, audit, base)


def latest_changes(actor: Actor, organization_id: uuid.UUID) -> dict[str, Any] | None:
    """The changes of the organization's latest completed audit (the dashboard's "since the last scan")."""
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.READ)
        audit = s.exec(
            select(Audit)
            .where(Audit.organization_id == organization_id, Audit.status == AuditStatus.COMPLETED)
            .order_by(Audit.created_at.desc())
            .limit(1)
        ).first()
        return None if audit is None else _stored_or_computed(s, audit)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(changes: Mapping[str, Any]) -> str:
    """One sentence for the dashboard, the CLI and the messages: 'first scan' or what moved."""
    if changes.get("previous_audit_id") is None:
        return "First scan: nothing to compare with yet."
    checks = changes["checks"]
    parts = []
    for name, text in (("started_failing", "started failing"), ("fixed", "fixed"), ("accepted", "accepted as a risk"),
                       ("could_not_run", "could not run"), ("out_of_scope", "no longer in scope"),
                       ("added", "new in the catalog")):
        if checks[name]:
            parts.append(f"{_plural(len(checks[name]), 'check')} {text}")
    named = {c["key"] for c in (*checks["started_failing"], *checks["fixed"], *checks["accepted"])}
    moved = sum(1 for r in changes["resources"]
                if r["key"] not in named and (r["newly_failing"]["count"] or r["fixed"]["count"]))
    if moved:
        parts.append(f"resources changed in {_plural(moved, 'check')}")
    score = changes["score"]
    if score["change"]:
        parts.append(f"score {score['previous']} → {score['current']} ({score['change']:+d})")
    elif score["previous"] != score["current"]:
        parts.append(f"score {score['previous'] if score['previous'] is not None else 'n/a'} → "
                     f"{score['current'] if score['current'] is not None else 'n/a'}")
    if not parts:
        return "No change since the last scan."
    sentence = "; ".join(parts)
    return sentence[0].upper() + sentence[1:] + "."
