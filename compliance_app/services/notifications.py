"""What to tell whom, and when: notification messages written to the outbox.

System functions (no actor): audit completion and failure (audit_queue) and the worker's
reminder job call them. They only write outbox rows, in the caller's transaction or their
own, and never talk to a mail server or webhook: delivery is the workers' job
(notification_delivery.py), so a failing channel never delays a scan.

Each message goes to every recipient (members who opted in plus the extra addresses) by
email when the operator configured SMTP, and to the organization's webhook if it has one.
Every message has a dedupe key (rule + event + channel + recipient) that the outbox holds
unique: a completion retried after its commit landed, or a reminder job run by two workers
at once, still makes one message.

Rules (each on or off per organization, all on by default):
- new_failures: a completed scan has checks of critical or high severity that started
  failing, or new failing resources in such checks (nothing for an unchanged scan);
- scan_problems: a scan failed, or more than half of its checks could not run;
- risk_expiring: a risk acceptance expires within RISK_EXPIRY_DAYS (one message per
  acceptance and expiry date);
- proof_expiring: uploaded proof expires within proof.DUE_DAYS or is stale (one message per
  proof and state: when it starts expiring, and again when it goes stale);
- weekly_digest: Mondays from 09:00 in the organization's time zone: score trend, checks
  that started failing or were fixed during the week, what expires: risk acceptances and
  proof (once per ISO week).

Messages name checks, resources and scores, link back to the audit, and never carry a
secret (no credentials, no webhook URL, no raw API data).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from compliance_app.db import session_scope
from compliance_app.models import (
    Audit,
    AuditStatus,
    Membership,
    NotificationChannel,
    NotificationOutbox,
    NotificationRule,
    NotificationSettings,
    NotificationSubscription,
    Organization,
    Question,
    RiskAcceptanceException,
    ScanHistory,
    User,
)
from compliance_app.models.notification import default_rules
from compliance_app.models.types import utcnow
from compliance_app.services import proof
from compliance_app.services.audit_diff import summary_line
from compliance_app.settings import get_settings
from compliance_app.vocabulary import EvidenceStatus

RISK_EXPIRY_DAYS = 14
#: Severities whose new failures are worth a message of their own.
URGENT = ("critical", "high")
DIGEST_WEEKDAY, DIGEST_HOUR = 0, 9  # Monday 09:00 local time


@dataclass(frozen=True)
class Message:
    rule: NotificationRule
    subject: str
    body: str
    #: The event this message is about; with channel and recipient, the outbox's dedupe key.
    key: str
    audit_id: uuid.UUID | None = None


@dataclass
class Audience:
    """Where an organization's messages go."""

    emails: list[str] = field(default_factory=list)
    has_webhook: bool = False
    rules: dict[str, bool] = field(default_factory=default_rules)
    timezone: str = "UTC"

    def wants(self, rule: NotificationRule) -> bool:
        return rule == NotificationRule.TEST or bool(self.rules.get(rule.value, True))

    def reachable(self) -> bool:
        """Some channel would get a message (so a digest is worth composing)."""
        return self.has_webhook or bool(self.emails and email_enabled())


def subscriber_emails(s: Session, organization_id: uuid.UUID) -> list[str]:
    """Active members who opted in (a member who left stops getting mail at once)."""
    return list(s.exec(
        select(User.email)
        .join(NotificationSubscription, NotificationSubscription.user_id == User.id)
        .join(Membership, (Membership.user_id == User.id)
              & (Membership.organization_id == NotificationSubscription.organization_id))
        .where(NotificationSubscription.organization_id == organization_id, User.is_active)
        .order_by(User.email)
    ).all())


def audience(s: Session, organization_id: uuid.UUID) -> Audience:
    """Members who opted in (and are still members) plus the extra addresses; the webhook if set."""
    row = s.get(NotificationSettings, organization_id)
    extra = row.extra_recipients if row else []
    emails = list(dict.fromkeys(e.lower() for e in (*subscriber_emails(s, organization_id), *extra)))
    if row is None:
        return Audience(emails=emails)
    return Audience(emails=emails, has_webhook=bool(row.webhook_encrypted),
                    rules={**default_rules(), **(row.rules or {})}, timezone=row.timezone or "UTC")


def email_enabled() -> bool:
    """Email goes out only when the operator configured a mail server."""
    settings = get_settings()
    return bool(settings.smtp_host and settings.smtp_from)


def _dedupe_key(key: str, channel: NotificationChannel, recipient: str) -> str:
    who = hashlib.sha256(recipient.encode()).hexdigest()[:16] if recipient else "-"
    return f"{key[:240]}:{channel.value}:{who}"


def enqueue(s: Session, organization_id: uuid.UUID, message: Message, who: Audience | None = None) -> int:
    """Write the message to the outbox once per channel and recipient; returns rows added."""
    who = who or audience(s, organization_id)
    if not who.wants(message.rule):
        return 0
    targets = [(NotificationChannel.EMAIL, e) for e in who.emails] if email_enabled() else []
    if who.has_webhook:
        targets.append((NotificationChannel.WEBHOOK, ""))
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = NotificationOutbox.__table__
    added = 0
    now = utcnow()
    for channel, recipient in targets:
        stmt = insert(table).values(
            organization_id=organization_id, rule=message.rule.value, channel=channel.value, recipient=recipient,
            audit_id=message.audit_id, subject=message.subject[:300], body=message.body,
            dedupe_key=_dedupe_key(message.key, channel, recipient), status="PENDING", attempts=0,
            next_attempt_at=now, created_at=now,
        ).on_conflict_do_nothing(index_elements=[table.c.dedupe_key]).returning(table.c.id)
        added += s.execute(stmt).scalar() is not None
    return added


# --- message text --------------------------------------------------------------------------

def audit_link(organization: Organization, audit_id: uuid.UUID | str) -> str:
    return f"{get_settings().app_url.rstrip('/')}/o/{organization.slug}/audits/{audit_id}"


def _check_lines(entries: Iterable[Mapping[str, Any]]) -> list[str]:
    return [f"- [{e['severity']}] {e['title']} ({e['key']})" + (
        f": {e['failing']} of {e['total']} resources failing" if e.get("total") else "") for e in entries]


def new_failures_message(organization: Organization, audit: Audit) -> Message | None:
    """None when the scan brought no new critical or high failure (an unchanged scan says nothing)."""
    changes = audit.changes or {}
    if not changes.get("changed"):
        return None
    checks = [c for c in changes["checks"]["started_failing"] if c["severity"] in URGENT]
    started = {c["key"] for c in checks}
    resources = [r for r in changes["resources"] if r["severity"] in URGENT and r["key"] not in started
                 and r["newly_failing"]["count"]]
    if not checks and not resources:
        return None
    entries = [*checks, *resources]
    if len(entries) == 1:
        subject = f"[{organization.name}] New {entries[0]['severity']} failure: {entries[0]['title']}"
    else:
        subject = f"[{organization.name}] {len(entries)} new critical or high failures"
    lines = [f"The scan of {organization.name} found new failures.", "", summary_line(changes), ""]
    if checks:
        lines += ["Checks that started failing:", *_check_lines(checks), ""]
    for r in resources:
        names = ", ".join(r["newly_failing"]["items"])
        more = r["newly_failing"]["count"] - len(r["newly_failing"]["items"])
        lines.append(f"- [{r['severity']}] {r['title']} ({r['key']}): newly failing {names}"
                     + (f" and {more} more" if more > 0 else ""))
    if resources:
        lines.append("")
    lines.append(f"Open the audit: {audit_link(organization, audit.id)}")
    return Message(NotificationRule.NEW_FAILURES, subject, "\n".join(lines), f"new_failures:{audit.id}", audit.id)


def scan_problem_message(organization: Organization, audit: Audit) -> Message | None:
    """A failed scan, or one where more than half of the checks could not run."""
    link = f"Open the audit: {audit_link(organization, audit.id)}"
    if audit.status == AuditStatus.FAILED:
        body = f"The scan of {organization.name} failed: {audit.error or 'no reason recorded'}\n\n{link}"
        return Message(NotificationRule.SCAN_PROBLEMS, f"[{organization.name}] The scan failed", body,
                       f"scan_problems:{audit.id}", audit.id)
    checks = audit.check_counts or {}
    total = sum(int(n) for n in checks.values())
    errors = int(checks.get(EvidenceStatus.ERROR.value, 0))
    if total == 0 or errors * 2 <= total:
        return None
    body = (f"{errors} of {total} checks of the scan of {organization.name} could not run (missing permissions, "
            f"disabled regions or throttling): its score does not cover them.\n\n{link}")
    return Message(NotificationRule.SCAN_PROBLEMS, f"[{organization.name}] {errors} of {total} checks could not run",
                   body, f"scan_problems:{audit.id}", audit.id)


def enqueue_for_audit(s: Session, audit: Audit) -> int:
    """At completion or failure, in the same transaction: new failures and scan problems."""
    organization = s.get(Organization, audit.organization_id)
    if organization is None:
        return 0
    who = audience(s, organization.id)
    messages = [scan_problem_message(organization, audit)]
    if audit.status == AuditStatus.COMPLETED:
        messages.append(new_failures_message(organization, audit))
    return sum(enqueue(s, organization.id, m, who) for m in messages if m is not None)


# --- reminders and the weekly digest (the worker's periodic job) ----------------------------

def _expiring(s: Session, organization_id: uuid.UUID | None, now: datetime) -> list[tuple[RiskAcceptanceException,
                                                                                            Question]]:
    query = (
        select(RiskAcceptanceException, Question)
        .join(Question, Question.id == RiskAcceptanceException.question_id)
        .where(RiskAcceptanceException.revoked_at.is_(None), RiskAcceptanceException.expires_at > now,
               RiskAcceptanceException.expires_at <= now + timedelta(days=RISK_EXPIRY_DAYS))
        .order_by(RiskAcceptanceException.expires_at)
    )
    if organization_id is not None:
        query = query.where(RiskAcceptanceException.organization_id == organization_id)
    return list(s.exec(query).all())


def _expiry_line(exception: RiskAcceptanceException, question: Question) -> str:
    scope = f" for {exception.resource_id}" if exception.resource_id else ""
    return f"- {question.title} ({question.key}){scope}: accepted until {exception.expires_at:%Y-%m-%d}"


def risk_expiring_message(organization: Organization, exception: RiskAcceptanceException,
                          question: Question) -> Message:
    link = f"{get_settings().app_url.rstrip('/')}/o/{organization.slug}/risks"
    body = (f"A risk acceptance of {organization.name} expires within {RISK_EXPIRY_DAYS} days; the check fails "
            f"again after that unless it is renewed or fixed.\n\n{_expiry_line(exception, question)}\n\n"
            f"Review risk acceptances: {link}")
    return Message(NotificationRule.RISK_EXPIRING,
                   f"[{organization.name}] Risk acceptance expires {exception.expires_at:%Y-%m-%d}: {question.title}",
                   body, f"risk_expiring:{exception.id}:{exception.expires_at:%Y-%m-%d}")


def _proof_line(due: proof.ProofDue) -> str:
    scope = f" for {due.resource_id}" if due.resource_id else ""
    when = (f"stale since {due.expires_on:%Y-%m-%d}" if due.state == proof.Freshness.STALE
            else f"expires {due.expires_on:%Y-%m-%d}")
    return f"- {due.title} ({due.question_key}){scope}: dated {due.evidence_date:%Y-%m-%d}, {when}"


def proof_expiring_message(organization: Organization, due: proof.ProofDue) -> Message:
    """One proof that started expiring (within DUE_DAYS) or went stale; keyed by proof and state."""
    stale = due.state == proof.Freshness.STALE
    link = f"{get_settings().app_url.rstrip('/')}/o/{organization.slug}"
    body = (f"Uploaded proof of {organization.name} "
            + ("is stale: an auditor will not accept it. " if stale else
               f"expires within {proof.DUE_DAYS} days. ")
            + f"Upload a newer one from the check's evidence.\n\n{_proof_line(due)}\n\nOpen the dashboard: {link}")
    subject = (f"[{organization.name}] Proof is stale: {due.title}" if stale else
               f"[{organization.name}] Proof expires {due.expires_on:%Y-%m-%d}: {due.title}")
    return Message(NotificationRule.PROOF_EXPIRING, subject, body, f"proof_expiring:{due.id}:{due.state}")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def digest_due(timezone: str, now: datetime) -> str | None:
    """The ISO week ('2026-W49') whose digest is due at `now`, or None outside Monday 09:00-24:00 local."""
    local = now.astimezone(zone(timezone))
    if local.weekday() != DIGEST_WEEKDAY or local.hour < DIGEST_HOUR:
        return None
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def digest_message(s: Session, organization: Organization, week: str, now: datetime) -> Message:
    """Score trend over the last seven days, checks that started failing or were fixed, what expires."""
    since = now - timedelta(days=7)
    points = s.exec(
        select(ScanHistory.date, ScanHistory.score)
        .where(ScanHistory.organization_id == organization.id, ScanHistory.date >= since.date())
        .order_by(ScanHistory.date)
    ).all()
    scored = [(d, sc) for d, sc in points if sc is not None]
    if not scored:
        trend = "No scored scan this week."
    elif len(scored) == 1:
        trend = f"Score {scored[0][1]} ({scored[0][0]:%a %d %b})."
    else:
        change = scored[-1][1] - scored[0][1]
        trend = f"Score {scored[0][1]} → {scored[-1][1]} ({change:+d}) over {len(scored)} days with a scan."
    audits = s.exec(
        select(Audit).where(Audit.organization_id == organization.id, Audit.status == AuditStatus.COMPLETED,
                            Audit.finished_at >= since).order_by(Audit.created_at)
    ).all()
    started: dict[str, Mapping[str, Any]] = {}
    fixed: dict[str, Mapping[str, Any]] = {}
    for audit in audits:  # the week's net effect: a check fixed after it started failing is only fixed
        for c in (audit.changes or {}).get("checks", {}).get("started_failing", []):
            fixed.pop(c["key"], None)
            started[c["key"]] = c
        for c in (audit.changes or {}).get("checks", {}).get("fixed", []):
            started.pop(c["key"], None)
            fixed[c["key"]] = c
    lines = [f"Weekly digest for {organization.name} ({week}).", "", trend, ""]
    lines += ["Started failing this week:", *(_check_lines(started.values()) or ["- none"]), ""]
    lines += ["Fixed this week:", *(_check_lines(fixed.values()) or ["- none"]), ""]
    expiring = _expiring(s, organization.id, now)
    lines += [f"Risk acceptances expiring within {RISK_EXPIRY_DAYS} days:",
              *([_expiry_line(e, q) for e, q in expiring] or ["- none"]), ""]
    lines += [f"Uploaded proof stale or expiring within {proof.DUE_DAYS} days:",
              *([_proof_line(d) for d in proof.proof_due(s, organization.id, now.date())] or ["- none"]), ""]
    latest = audits[-1] if audits else None
    lines.append(f"Open the latest audit: {audit_link(organization, latest.id)}" if latest else
                 f"Open the dashboard: {get_settings().app_url.rstrip('/')}/o/{organization.slug}")
    return Message(NotificationRule.WEEKLY_DIGEST, f"[{organization.name}] Weekly digest {week}", "\n".join(lines),
                   f"weekly_digest:{organization.id}:{week}", latest.id if latest else None)


def enqueue_reminders(now: datetime | None = None) -> int:
    """Risk acceptances and proof about to expire (or stale proof) and due weekly digests, for every
    organization (idempotent: the outbox's dedupe keys make each event one message)."""
    now = now or utcnow()
    added = 0
    with session_scope() as s:
        for exception, question in _expiring(s, None, now):
            organization = s.get(Organization, exception.organization_id)
            if organization is not None:
                added += enqueue(s, organization.id, risk_expiring_message(organization, exception, question))
        for organization_id in proof.organizations_with_proof_due(s, now.date()):
            organization = s.get(Organization, organization_id)
            who = audience(s, organization_id)
            for due in proof.proof_due(s, organization_id, now.date()):
                added += enqueue(s, organization_id, proof_expiring_message(organization, due), who)
        organizations = s.exec(
            select(Organization).where(sa.or_(
                sa.exists().where(NotificationSettings.organization_id == Organization.id),
                sa.exists().where(NotificationSubscription.organization_id == Organization.id),
            ))
        ).all()
        for organization in organizations:
            who = audience(s, organization.id)
            week = digest_due(who.timezone, now)
            if week is None or not who.wants(NotificationRule.WEEKLY_DIGEST) or not who.reachable():
                continue
            already = s.exec(select(NotificationOutbox.id).where(
                NotificationOutbox.dedupe_key.startswith(f"weekly_digest:{organization.id}:{week}:"))).first()
            if already is not None:
                continue
            added += enqueue(s, organization.id, digest_message(s, organization, week, now), who)
    return added
