"""Who hears about what: an organization's notification settings, members' opt-in,
the delivery log, and "send a test notification".

Admins choose the extra recipients, the webhook and the rules; every member chooses for
themselves whether they get the emails. Bad input is refused with a sentence naming the
problem and nothing is written. The webhook URL is a credential: it is stored encrypted
(like integration secrets, so `keys rotate` covers it), must be https, passes the same
private-address guard as integration URLs, and is never shown again (only its host).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import available_timezones

import sqlalchemy as sa
from sqlmodel import Session, select

from compliance_app.db import session_scope
from compliance_app.models import (
    NotificationChannel,
    NotificationLog,
    NotificationRule,
    NotificationSettings,
    NotificationSubscription,
)
from compliance_app.models.notification import default_rules
from compliance_app.models.types import utcnow
from compliance_app.providers.endpoints import EndpointRefused, check_url
from compliance_app.services import activity
from compliance_app.services.accounts import validate_email
from compliance_app.services.authz import Actor, Permission, authorize
from compliance_app.services.crypto import encrypt_json
from compliance_app.services.errors import ValidationError
from compliance_app.services.notification_delivery import DeliveryError, record_test, send, webhook_url
from compliance_app.services.notifications import audience, email_enabled, subscriber_emails
from compliance_app.services.scans import Page, _page_bounds

MAX_EXTRA_RECIPIENTS = 20
#: What admins can switch, with the sentence the settings page shows.
RULE_LABELS: dict[str, str] = {
    NotificationRule.NEW_FAILURES.value: "A scan found new critical or high failures",
    NotificationRule.SCAN_PROBLEMS.value: "A scan failed, or more than half of its checks could not run",
    NotificationRule.RISK_EXPIRING.value: "A risk acceptance expires within 14 days",
    NotificationRule.PROOF_EXPIRING.value: "Uploaded proof expires within 30 days or is stale",
    NotificationRule.WEEKLY_DIGEST.value: "Weekly digest (Monday 09:00 in the organization's time zone)",
}


@dataclass
class NotificationSettingsView:
    """What the settings page shows (the webhook only by host)."""

    extra_recipients: list[str]
    webhook_host: str
    rules: dict[str, bool]
    timezone: str
    #: Members who opted in (emails).
    subscribers: list[str]
    #: Whether the caller opted in.
    subscribed: bool
    email_configured: bool
    rule_labels: dict[str, str] = field(default_factory=lambda: dict(RULE_LABELS))


@dataclass
class LogRow:
    id: int
    created_at: datetime
    rule: str
    channel: str
    recipient: str
    status: str
    attempt: int
    error: str
    subject: str


@dataclass
class TestResult:
    channel: str
    recipient: str
    ok: bool
    error: str


def parse_recipients(value: str | list[str]) -> list[str]:
    """Addresses separated by commas, semicolons or new lines; each must be a valid email."""
    parts = value if isinstance(value, list) else value.replace(";", ",").replace("\n", ",").split(",")
    addresses: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        try:
            address = validate_email(part)
        except ValidationError as exc:
            raise ValidationError(exc.message, field="extra_recipients") from None
        if address not in addresses:
            addresses.append(address)
    if len(addresses) > MAX_EXTRA_RECIPIENTS:
        raise ValidationError(f"At most {MAX_EXTRA_RECIPIENTS} extra recipients.", field="extra_recipients")
    return addresses


def validate_webhook_url(url: str) -> str:
    """An https URL with a host, a possible port, and a host that is not private (unless allowed)."""
    url = url.strip()
    if len(url) > 2000:
        raise ValidationError("The webhook URL is too long.", field="webhook_url")
    if not url.isascii() or any(not c.isprintable() or c.isspace() for c in url):
        raise ValidationError("The webhook URL must not contain spaces, control or non-ASCII characters "
                              "(percent-encode them).", field="webhook_url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError("The webhook URL has an impossible port (1 to 65535).", field="webhook_url") from None
    if parts.scheme != "https":
        raise ValidationError("The webhook URL must start with https://.", field="webhook_url")
    if not parts.hostname:
        raise ValidationError("The webhook URL has no host name.", field="webhook_url")
    if port == 0:
        raise ValidationError("The webhook URL has an impossible port (1 to 65535).", field="webhook_url")
    if parts.username or parts.password:
        raise ValidationError("The webhook URL must not contain a user name or password.", field="webhook_url")
    try:
        check_url(url)
    except EndpointRefused:
        raise ValidationError("The webhook URL points to a private or local network address, which is not "
                              "allowed.", field="webhook_url") from None
    return url


def validate_timezone(name: str) -> str:
    name = (name or "").strip() or "UTC"
    if name not in available_timezones():
        raise ValidationError(f"'{name[:64]}' is not a known time zone (e.g. Europe/Berlin).", field="timezone")
    return name


def _view(s: Session, organization_id: uuid.UUID, actor: Actor) -> NotificationSettingsView:
    row = s.get(NotificationSettings, organization_id)
    subscribed = actor.user_id is not None and s.get(NotificationSubscription, (organization_id, actor.user_id))
    return NotificationSettingsView(
        extra_recipients=list(row.extra_recipients) if row else [], webhook_host=row.webhook_host if row else "",
        rules={**default_rules(), **(row.rules if row else {})}, timezone=row.timezone if row else "UTC",
        subscribers=subscriber_emails(s, organization_id), subscribed=bool(subscribed),
        email_configured=email_enabled(),
    )


def get_notification_settings(actor: Actor, organization_id: uuid.UUID) -> NotificationSettingsView:
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.MANAGE_ORGANIZATION)
        return _view(s, organization_id, actor)


def update_notification_settings(
    actor: Actor,
    organization_id: uuid.UUID,
    *,
    extra_recipients: str | list[str] | None = None,
    webhook_url: str | None = None,
    remove_webhook: bool = False,
    rules: dict[str, bool] | None = None,
    timezone: str | None = None,
) -> NotificationSettingsView:
    """Change what is given (None keeps it); a new webhook URL replaces the stored one."""
    recipients = parse_recipients(extra_recipients) if extra_recipients is not None else None
    url = validate_webhook_url(webhook_url) if webhook_url else None
    zone_name = validate_timezone(timezone) if timezone is not None else None
    if rules is not None:
        unknown = sorted(set(rules) - set(RULE_LABELS))
        if unknown:
            raise ValidationError(f"Unknown notification rule: {', '.join(unknown)}.", field="rules")
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.MANAGE_ORGANIZATION)
        row = s.get(NotificationSettings, organization_id)
        if row is None:
            row = NotificationSettings(organization_id=organization_id, rules=default_rules())
            s.add(row)
        changed = []
        if recipients is not None:
            row.extra_recipients = recipients
            changed.append("recipients")
        if url is not None:
            row.webhook_encrypted = encrypt_json({"url": url})
            row.webhook_host = urlsplit(url).hostname or ""
            changed.append("webhook")
        elif remove_webhook:
            row.webhook_encrypted, row.webhook_host = None, ""
            changed.append("webhook removed")
        if rules is not None:
            row.rules = {**default_rules(), **(row.rules or {}), **{k: bool(v) for k, v in rules.items()}}
            changed.append("rules")
        if zone_name is not None:
            row.timezone = zone_name
            changed.append("time zone")
        row.updated_at = utcnow()
        activity.record(s, actor, "notifications.updated", organization_id=organization_id,
                        target=", ".join(changed))
        s.flush()
        return _view(s, organization_id, actor)


def set_my_subscription(actor: Actor, organization_id: uuid.UUID, subscribed: bool) -> bool:
    """A member opts in to (or out of) the organization's email notifications, for themselves."""
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.READ)
        if actor.user_id is None:
            raise ValidationError("Only a person can subscribe to notifications.")
        row = s.get(NotificationSubscription, (organization_id, actor.user_id))
        if subscribed and row is None:
            s.add(NotificationSubscription(organization_id=organization_id, user_id=actor.user_id))
        elif not subscribed and row is not None:
            s.delete(row)
        return subscribed


def is_subscribed(actor: Actor, organization_id: uuid.UUID) -> bool:
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.READ)
        return actor.user_id is not None and s.get(NotificationSubscription, (organization_id, actor.user_id)) \
            is not None


def list_notification_log(actor: Actor, organization_id: uuid.UUID, page: int = 1,
                          page_size: int = 50) -> Page[LogRow]:
    """Delivery attempts, newest first: rule, channel, recipient, status, error, time."""
    page, page_size = _page_bounds(page, page_size)
    with session_scope() as s:
        authorize(s, actor, organization_id, Permission.MANAGE_ORGANIZATION)
        where = NotificationLog.organization_id == organization_id
        total = s.exec(select(sa.func.count()).select_from(NotificationLog).where(where)).one()
        rows = s.exec(
            select(NotificationLog).where(where).order_by(NotificationLog.created_at.desc(), NotificationLog.id.desc())
            .offset((page - 1) * page_size).limit(page_size)
        ).all()
        items = [LogRow(id=r.id or 0, created_at=r.created_at, rule=str(r.rule), channel=str(r.channel),
                        recipient=r.recipient or "webhook", status=str(r.status), attempt=r.attempt,
                        error=r.error or "", subject=r.subject) for r in rows]
    return Page(items=items, total=total, page=page, page_size=page_size)


def send_test_notification(actor: Actor, organization_id: uuid.UUID) -> list[TestResult]:
    """Send a test message to every recipient and the webhook now; say per channel what happened."""
    with session_scope() as s:
        organization = authorize(s, actor, organization_id, Permission.MANAGE_ORGANIZATION).organization
        who = audience(s, organization_id)
        url = webhook_url(s, organization_id)
        name = organization.name
    targets = [(NotificationChannel.EMAIL, e) for e in who.emails] if email_enabled() else []
    if url:
        targets.append((NotificationChannel.WEBHOOK, ""))
    if not targets:
        raise ValidationError("There is nothing to send to: add a recipient or a webhook first"
                              + ("" if email_enabled() else " (email is not configured on this server)") + ".")
    subject = f"[{name}] Test notification"
    body = f"This is a test notification from compliance_app for {name}. It works."
    results = []
    for channel, recipient in targets:
        try:
            send(channel, recipient, subject, body, url)
            error = None
        except DeliveryError as exc:
            error = str(exc)
        results.append(TestResult(channel=channel.value, recipient=recipient or "webhook", ok=error is None,
                                  error=error or ""))
    with session_scope() as s:
        for (channel, recipient), result in zip(targets, results, strict=True):
            record_test(s, organization_id, channel, recipient, subject, result.error or None)
    return results
