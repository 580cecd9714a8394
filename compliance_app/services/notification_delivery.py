"""Delivering notifications: the outbox the workers share, email over SMTP, the webhook over HTTPS.

Workers claim due outbox rows with `SELECT … FOR UPDATE SKIP LOCKED` and mark them SENDING
under a lease before sending, so several workers never take the same message; a worker
that dies mid-send leaves its rows to be taken again when the lease lapses (at most one
duplicate, never a lost message). A failed attempt is retried after
NOTIFICATION_RETRY_SECONDS, doubling each time, until NOTIFICATION_MAX_ATTEMPTS, then the
message is FAILED. Every attempt is written to the notification log admins read.

Errors are described in a sentence a person can act on ("the mail server refused the login
(authentication failed)", "the webhook answered 404 Not Found"); they never contain the
webhook URL (it is a credential) or the SMTP password. A webhook whose host resolves to a
private address (unless ALLOW_PRIVATE_ENDPOINTS) is refused before any packet is sent, and
says only "Could not connect." — nothing that tells a closed port from an open one.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from http import HTTPStatus
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session, select
from urllib3 import Timeout
from urllib3.exceptions import (
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    SSLError,
)
from urllib3.exceptions import (
    TimeoutError as Urllib3Timeout,
)

from compliance_app.db import session_scope
from compliance_app.models import (
    DeliveryStatus,
    NotificationChannel,
    NotificationLog,
    NotificationOutbox,
    NotificationRule,
    NotificationSettings,
)
from compliance_app.providers.endpoints import (
    COULD_NOT_CONNECT,
    EndpointRefused,
    PinnedHTTPSConnectionPool,
    check_url,
)
from compliance_app.services.audit_queue import db_now
from compliance_app.services.crypto import SecretDecryptionError, decrypt_json
from compliance_app.settings import get_settings

log = logging.getLogger(__name__)

#: A claimed message not reported back within this long is taken again by another worker.
LEASE = timedelta(seconds=60)
CONNECT_SECONDS, READ_SECONDS = 5.0, 10.0
CLAIM_BATCH = 20


class DeliveryError(Exception):
    """A delivery that did not go through; `str()` is the sentence shown in the log and the page."""


# --- transports --------------------------------------------------------------------------

def send_email(recipient: str, subject: str, body: str) -> None:
    """One plain-text message through the operator's SMTP server (SMTP_* settings)."""
    settings = get_settings()
    if not settings.smtp_host or not settings.smtp_from:
        raise DeliveryError("Email is not configured on this server (SMTP_HOST and SMTP_FROM).")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    timeout = CONNECT_SECONDS + READ_SECONDS
    try:
        if settings.smtp_security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout,
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"The mail server refused the login (authentication failed, {exc.smtp_code}).") from None
    except smtplib.SMTPNotSupportedError:
        raise DeliveryError("The mail server does not offer STARTTLS or login (check SMTP_SECURITY).") from None
    except smtplib.SMTPRecipientsRefused:
        raise DeliveryError(f"The mail server refused the recipient {recipient}.") from None
    except smtplib.SMTPSenderRefused as exc:
        raise DeliveryError(f"The mail server refused the sender address ({exc.smtp_code}).") from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"The mail server answered an error ({exc.smtp_code}).") from None
    except smtplib.SMTPException:
        raise DeliveryError("The mail server closed the connection unexpectedly.") from None
    except ConnectionRefusedError:
        raise DeliveryError("Could not connect to the mail server (connection refused).") from None
    except TimeoutError:
        raise DeliveryError("The mail server did not answer in time.") from None
    except ssl.SSLError:
        raise DeliveryError("The TLS handshake with the mail server failed.") from None
    except OSError:
        raise DeliveryError("Could not connect to the mail server.") from None


def webhook_payload(subject: str, body: str) -> dict[str, str]:
    """Slack-compatible incoming-webhook JSON (Mattermost, Rocket.Chat and Teams workflows read it too)."""
    return {"text": f"*{subject}*\n{body}"}


def send_webhook(url: str, subject: str, body: str) -> None:
    """POST the message as JSON; any answer but 2xx is an error. The URL never appears in errors."""
    parts = urlsplit(url)
    try:
        check_url(url)
    except EndpointRefused:
        raise DeliveryError(COULD_NOT_CONNECT) from None
    pool = PinnedHTTPSConnectionPool(parts.hostname, parts.port,
                                     timeout=Timeout(connect=CONNECT_SECONDS, read=READ_SECONDS),
                                     retries=False, maxsize=1)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        with pool:
            response = pool.urlopen("POST", path, body=json.dumps(webhook_payload(subject, body)).encode(),
                                    headers={"Content-Type": "application/json"}, redirect=False, retries=False)
    except (NewConnectionError, MaxRetryError) as exc:
        reason = str(getattr(exc, "reason", exc))
        if "non-public" in reason:  # refused by the pinned connection (DNS changed after the check)
            raise DeliveryError(COULD_NOT_CONNECT) from None
        if "refused" in reason.lower():
            raise DeliveryError("Could not connect to the webhook (connection refused).") from None
        raise DeliveryError("Could not connect to the webhook.") from None
    except SSLError:
        raise DeliveryError("The webhook's TLS certificate could not be verified.") from None
    except Urllib3Timeout:
        raise DeliveryError("The webhook did not answer in time.") from None
    except (ProtocolError, HTTPError, OSError):
        raise DeliveryError("The webhook closed the connection unexpectedly.") from None
    if not 200 <= response.status < 300:
        try:
            phrase = HTTPStatus(response.status).phrase
        except ValueError:
            phrase = ""
        raise DeliveryError(f"The webhook answered {response.status}{f' {phrase}' if phrase else ''}.")


def webhook_url(s: Session, organization_id: uuid.UUID) -> str | None:
    """The organization's webhook URL, decrypted in memory only."""
    row = s.get(NotificationSettings, organization_id)
    if row is None or not row.webhook_encrypted:
        return None
    return str(decrypt_json(row.webhook_encrypted).get("url") or "") or None


def send(channel: NotificationChannel, recipient: str, subject: str, body: str, url: str | None) -> None:
    if channel == NotificationChannel.EMAIL:
        send_email(recipient, subject, body)
    elif url is None:
        raise DeliveryError("No webhook is configured any more.")
    else:
        send_webhook(url, subject, body)


# --- the outbox ----------------------------------------------------------------------------

def claim_due(worker_id: str, limit: int = CLAIM_BATCH) -> list[int]:
    """Take due messages (new, to retry, or whose sender's lease lapsed) for this worker."""
    with session_scope() as s:
        now = db_now(s)
        rows = s.exec(
            select(NotificationOutbox)
            .where(sa.or_(
                NotificationOutbox.status.in_([DeliveryStatus.PENDING, DeliveryStatus.RETRYING])
                & (NotificationOutbox.next_attempt_at <= now),
                (NotificationOutbox.status == DeliveryStatus.SENDING) & (NotificationOutbox.lease_until < now),
            ))
            .order_by(NotificationOutbox.next_attempt_at, NotificationOutbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.status = DeliveryStatus.SENDING
            row.claimed_by = worker_id
            row.lease_until = now + LEASE
            row.attempts += 1
        return [row.id for row in rows if row.id is not None]


@dataclass(frozen=True)
class Outcome:
    status: DeliveryStatus
    error: str | None


def retry_delay(attempt: int) -> timedelta:
    """NOTIFICATION_RETRY_SECONDS after the first attempt, doubling after each further one."""
    return timedelta(seconds=get_settings().notification_retry_seconds * 2 ** max(0, attempt - 1))


def deliver(outbox_id: int, worker_id: str) -> Outcome | None:
    """Send one claimed message and record the outcome; None if the claim was lost meanwhile."""
    with session_scope() as s:
        row = s.get(NotificationOutbox, outbox_id)
        if row is None or row.status != DeliveryStatus.SENDING or row.claimed_by != worker_id:
            return None
        channel, recipient, subject, body = row.channel, row.recipient, row.subject, row.body
        try:
            url = webhook_url(s, row.organization_id) if channel == NotificationChannel.WEBHOOK else None
        except SecretDecryptionError:  # other keys than the ones it was stored under: said as "no webhook"
            url = None
    error: str | None = None
    try:
        send(NotificationChannel(channel), recipient, subject, body, url)
    except DeliveryError as exc:
        error = str(exc)
    with session_scope() as s:
        row = s.exec(
            select(NotificationOutbox)
            .where(NotificationOutbox.id == outbox_id, NotificationOutbox.status == DeliveryStatus.SENDING,
                   NotificationOutbox.claimed_by == worker_id)
            .with_for_update()
        ).first()
        if row is None:
            return None
        now = db_now(s)
        if error is None:
            row.status, row.sent_at, row.last_error = DeliveryStatus.SENT, now, None
        elif row.attempts >= get_settings().notification_max_attempts:
            row.status, row.last_error = DeliveryStatus.FAILED, error
        else:
            row.status, row.last_error = DeliveryStatus.RETRYING, error
            row.next_attempt_at = now + retry_delay(row.attempts)
        row.lease_until = None
        s.add(NotificationLog(organization_id=row.organization_id, outbox_id=row.id, rule=row.rule,
                              channel=row.channel, recipient=row.recipient, status=row.status,
                              attempt=row.attempts, error=error, subject=row.subject, created_at=now))
        if error is not None:
            log.warning("notification %s (%s, attempt %d): %s", row.id, row.channel, row.attempts, error)
        return Outcome(row.status, error)


def deliver_due(worker_id: str) -> int:
    """Claim and send due messages until none is left; returns how many were attempted."""
    attempted = 0
    while ids := claim_due(worker_id):
        for outbox_id in ids:
            deliver(outbox_id, worker_id)
            attempted += 1
    return attempted


def record_test(s: Session, organization_id: uuid.UUID, channel: NotificationChannel, recipient: str,
                subject: str, error: str | None) -> None:
    """A test message's outcome in the log (it is sent at once, not through the outbox)."""
    s.add(NotificationLog(organization_id=organization_id, rule=NotificationRule.TEST, channel=channel,
                          recipient=recipient, status=DeliveryStatus.SENT if error is None else DeliveryStatus.FAILED,
                          attempt=1, error=error, subject=subject))
