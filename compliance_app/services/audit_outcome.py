"""Why an audit has no score, and what it covered, in sentences the pages show.

A completed audit in which every check could not run (an integration unreachable, a token
revoked) scores nothing; "COMPLETED" with an empty score would read like success. The
sentence counts the checks that could not run and gives the commonest reason, taken from
the evidence rows the engine wrote (never a secret: those messages are already redacted).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from compliance_app.db import session_scope
from compliance_app.models import Audit, AuditStatus, Evidence, EvidenceStatus
from compliance_app.services.authz import Actor, Permission
from compliance_app.services.scans import access_audit
from compliance_app.vocabulary import PROVIDER_LABELS


def checks_could_not_run(n: int, reason: str) -> str:
    """'22 checks could not run: cannot reach GitHub at … — fix the integration.'"""
    reason = reason.strip().rstrip(".")
    reason = reason[:1].lower() + reason[1:] if reason[:2] != reason[:2].upper() else reason
    noun = "check" if n == 1 else "checks"
    return f"{n} {noun} could not run: {reason} — fix the integration."


def why_unscored(s: Session, audit: Audit) -> str | None:
    """None when the audit has a score (or has not finished); otherwise what happened."""
    if audit.status != AuditStatus.COMPLETED or audit.score is not None:
        return None
    errored = s.exec(
        select(sa.func.count(sa.distinct(Evidence.question_id)))
        .where(Evidence.audit_id == audit.id, Evidence.status == EvidenceStatus.ERROR)
    ).one()
    if not errored:
        return "Nothing was checked: no integration was connected when this scan ran."
    commonest = s.exec(
        select(Evidence.message, sa.func.count().label("n"))
        .where(Evidence.audit_id == audit.id, Evidence.status == EvidenceStatus.ERROR)
        .group_by(Evidence.message)
        .order_by(sa.text("n DESC"), Evidence.message)
        .limit(1)
    ).first()
    return checks_could_not_run(errored, commonest[0] if commonest else "the reason was not recorded")


def scope_lines(scope: dict[str, Any] | None) -> list[str]:
    """What an audit covered, one sentence per integration (Audit.scope, written by the engine):
    the AWS regions scanned and those not scanned with why, the GitHub repositories read."""
    lines = []
    for entry in (scope or {}).values():
        if not isinstance(entry, dict):
            continue
        provider, account = entry.get("provider", ""), entry.get("account") or "unknown"
        if entry.get("error"):
            lines.append(f"{PROVIDER_LABELS.get(provider, provider)}: {entry['error']}")
            continue
        if provider == "aws":
            scanned = ", ".join(entry.get("scanned") or []) or "none"
            line = f"AWS account {account} — regions scanned: {scanned}"
            skipped = entry.get("skipped") or {}
            if skipped:
                line += "; not scanned: " + ", ".join(f"{region} ({why})" for region, why in sorted(skipped.items()))
        elif provider == "github":
            seen, total = entry.get("repositories_seen"), entry.get("repositories_in_organization")
            line = f"GitHub {account} — " + (
                f"{seen} of {total} repositories read" if seen is not None and total is not None
                else f"{len(entry.get('scanned') or [])} repositories read")
        else:
            line = f"{provider or 'Integration'} {account}"
        notes = [str(n).rstrip(".") for n in entry.get("notes") or []]
        lines.append(line + "." + "".join(f" {n}." for n in notes))
    return lines


def get_audit_scope(actor: Actor, audit_id: uuid.UUID | str) -> list[str]:
    """The audit page's "what was scanned" lines (NotFound for another tenant's audit)."""
    with session_scope() as s:
        audit = access_audit(s, actor, audit_id, Permission.READ)[0]
        return scope_lines(audit.scope)
