"""Notifications: outbox, SMTP and webhook delivery, retries, log, rules, settings."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from compliance_app.db import session_scope
from compliance_app.models import (
    Audit,
    AuditStatus,
    DeliveryStatus,
    NotificationLog,
    NotificationOutbox,
    NotificationSettings,
    Organization,
    Role,
    Severity,
)
from compliance_app.models.types import utcnow
from compliance_app.services import audit_queue, notification_delivery, notifications, risk
from compliance_app.services import notification_settings as ns
from compliance_app.services.authz import Actor
from compliance_app.services.errors import ValidationError
from compliance_app.services.key_rotation import encrypted_columns
from compliance_app.settings import Settings, get_settings
from tests.changes.receivers import SMTP_PASSWORD
from tests.changes.scripted import scan_with
from tests.conftest import free_port
from tests.factories import actor_for, add_member, make_org, make_user

CRIT, HIGH, LOW = Severity.CRITICAL, Severity.HIGH, Severity.LOW
CALM = {"branch_protection": (CRIT, [("repo-a", "PASS")]), "mfa": (LOW, [("acme", "PASS")])}
BROKEN = {"branch_protection": (CRIT, [("repo-a", "FAIL")]), "mfa": (LOW, [("acme", "PASS")])}


def configure(channels, org, *, webhook: bool = True, extra: str = "") -> None:
    """The owner opts in; the webhook points at the loopback receiver."""
    owner = org.owner_id
    ns.set_my_subscription(Actor(user_id=owner, label="owner"), org.id, True)
    ns.update_notification_settings(Actor.system(), org.id, extra_recipients=extra,
                                    webhook_url=channels.webhook.url() if webhook else None)


def outbox(org_id=None) -> list[NotificationOutbox]:
    with session_scope() as s:
        query = select(NotificationOutbox).order_by(NotificationOutbox.id)
        if org_id is not None:
            query = query.where(NotificationOutbox.organization_id == org_id)
        return list(s.exec(query).all())


def log_rows() -> list[NotificationLog]:
    with session_scope() as s:
        return list(s.exec(select(NotificationLog).order_by(NotificationLog.id)).all())


def test_a_new_critical_failure_is_one_email_and_one_webhook_message(db, channels) -> None:
    owner = make_user(email="owner@acme.test")
    org = make_org(owner=owner, name="Acme")
    configure(channels, org)
    scan_with(org, CALM)
    assert outbox() == []  # a passing first scan says nothing

    audit = scan_with(org, BROKEN)
    assert notification_delivery.deliver_due("test-worker") == 2

    (rcpts, mail, raw), = channels.mailbox.messages
    assert rcpts == ["owner@acme.test"] and mail["From"] == "alerts@compliance.test"
    assert mail["Subject"] == "[Acme] New critical failure: Fake branch_protection"
    text = mail.get_payload(decode=True).decode()
    assert "- [critical] Fake branch_protection (branch_protection): 1 of 1 resources failing" in text
    assert f"{get_settings().app_url}/o/{org.slug}/audits/{audit.id}" in text
    (body,) = channels.webhook.bodies
    assert body["text"].startswith("*[Acme] New critical failure: Fake branch_protection*\n")
    assert f"/audits/{audit.id}" in body["text"]
    assert channels.webhook.paths == ["/services/T000/B000/XXXXsecretpath"]
    for secret in (SMTP_PASSWORD, "XXXXsecretpath"):  # no secret in any message or log row
        assert secret.encode() not in raw and secret.encode() not in channels.webhook.raw[0]
    assert [(r.rule, r.channel, r.status, r.error) for r in log_rows()] == [
        ("new_failures", "email", "SENT", None), ("new_failures", "webhook", "SENT", None)]

    scan_with(org, BROKEN)  # unchanged: no message
    assert len(outbox()) == 2
    # completion retried after its commit landed does not enqueue twice
    with session_scope() as s:
        assert notifications.enqueue_for_audit(s, s.get(Audit, audit.id)) == 0


def test_high_failures_notify_low_ones_do_not_and_rules_switch_off(db, channels) -> None:
    org = make_org(owner=make_user())
    configure(channels, org, webhook=False)
    scan_with(org, {"k": (LOW, [("a", "PASS")])})
    scan_with(org, {"k": (LOW, [("a", "FAIL")])})
    assert outbox() == []
    scan_with(org, {"k": (LOW, [("a", "FAIL")]), "h": (HIGH, [("b", "FAIL")])})
    assert [o.subject for o in outbox()] == [f"[{org.name}] New high failure: Fake h"]
    ns.update_notification_settings(Actor.system(), org.id, rules={"new_failures": False})
    scan_with(org, {"k": (LOW, [("a", "FAIL")]), "h": (HIGH, [("b", "FAIL"), ("c", "FAIL")])})
    assert len(outbox()) == 1


def test_failed_channels_are_logged_retried_then_failed(db, channels, monkeypatch) -> None:
    monkeypatch.setenv("NOTIFICATION_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("SMTP_PASSWORD", "wrong-password")
    get_settings.cache_clear()
    org = make_org(owner=make_user())
    configure(channels, org)
    channels.webhook.status = 500
    scan_with(org, CALM)
    scan_with(org, BROKEN)
    notification_delivery.deliver_due("w")
    rows = log_rows()
    by_channel = {c: [(r.status, r.attempt, r.error) for r in rows if r.channel == c] for c in ("email", "webhook")}
    auth = "The mail server refused the login (authentication failed, 535)."
    assert by_channel["email"] == [("RETRYING", 1, auth), ("RETRYING", 2, auth), ("FAILED", 3, auth)]
    http = "The webhook answered 500 Internal Server Error."
    assert by_channel["webhook"] == [("RETRYING", 1, http), ("RETRYING", 2, http), ("FAILED", 3, http)]
    assert len(channels.webhook.bodies) == 3 and channels.mailbox.messages == []
    assert {o.status for o in outbox()} == {DeliveryStatus.FAILED}


def test_connection_refused_is_said_as_such_and_retries_wait(db, channels, monkeypatch) -> None:
    monkeypatch.setenv("SMTP_PORT", str(free_port()))
    monkeypatch.setenv("NOTIFICATION_RETRY_SECONDS", "60")
    get_settings.cache_clear()
    org = make_org(owner=make_user())
    configure(channels, org, webhook=False)
    scan_with(org, CALM)
    scan_with(org, BROKEN)
    assert notification_delivery.deliver_due("w") == 1  # then waits: the retry is a minute away
    (row,) = outbox()
    assert row.status == DeliveryStatus.RETRYING
    assert row.last_error == "Could not connect to the mail server (connection refused)."
    assert timedelta(seconds=55) < row.next_attempt_at - utcnow() <= timedelta(seconds=60)
    assert notification_delivery.retry_delay(3) == timedelta(seconds=240)


def test_two_workers_never_claim_the_same_message(db, channels) -> None:
    org = make_org(owner=make_user())
    ns.update_notification_settings(Actor.system(), org.id,
                                    extra_recipients=", ".join(f"r{i}@acme.test" for i in range(20)))
    scan_with(org, CALM)
    scan_with(org, BROKEN)
    assert len(outbox()) == 20
    claims: dict[str, list[int]] = {}
    barrier = threading.Barrier(2)

    def claim(name: str) -> None:
        barrier.wait()
        claims[name] = notification_delivery.claim_due(name, limit=15)

    threads = [threading.Thread(target=claim, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not set(claims["a"]) & set(claims["b"])
    assert len(claims["a"]) + len(claims["b"]) == 20


def test_scan_problems(db, channels) -> None:
    org = make_org(owner=make_user())
    configure(channels, org, webhook=False)
    scan_with(org, {"a": (HIGH, "unreadable"), "b": (LOW, "unreadable"), "c": (LOW, [("x", "PASS")])})
    (row,) = outbox()
    assert row.subject == f"[{org.name}] 2 of 3 checks could not run"
    audit = Audit(organization_id=org.id, status=AuditStatus.PENDING)
    with session_scope() as s:
        s.add(audit)
    assert audit_queue.claim_audit(audit.id, "w")
    audit_queue.fail(audit.id, "w", "The scan failed: RuntimeError: boom")
    assert outbox()[-1].subject == f"[{org.name}] The scan failed"
    assert "RuntimeError: boom" in outbox()[-1].body


def test_risk_expiring_reminder_once(db, channels) -> None:
    org = make_org(owner=make_user())
    configure(channels, org, webhook=False)
    scan_with(org, BROKEN)
    risk.accept_risk(Actor.system(), org.id, "branch_protection", "Legacy repo", utcnow() + timedelta(days=10))
    risk.accept_risk(Actor.system(), org.id, "mfa", "Later", utcnow() + timedelta(days=60))
    before = len(outbox())
    assert notifications.enqueue_reminders() == 1
    assert notifications.enqueue_reminders() == 0
    row = outbox()[before]
    assert row.rule == "risk_expiring" and "Fake branch_protection (branch_protection)" in row.body


def test_weekly_digest_monday_nine_in_the_organizations_zone(db, channels) -> None:
    org = make_org(owner=make_user())
    configure(channels, org, webhook=False)
    ns.update_notification_settings(Actor.system(), org.id, timezone="Asia/Tokyo")
    scan_with(org, CALM)
    scan_with(org, BROKEN)
    scan_with(org, {"branch_protection": (CRIT, [("repo-a", "FAIL")]), "mfa": (LOW, [("acme", "FAIL")])})
    risk.accept_risk(Actor.system(), org.id, "mfa", "Hardware key on order", utcnow() + timedelta(days=5))
    monday_9_tokyo = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday 09:00 in Tokyo
    assert notifications.digest_due("Asia/Tokyo", monday_9_tokyo) == "2026-W49"
    assert notifications.digest_due("Asia/Tokyo", monday_9_tokyo - timedelta(minutes=1)) is None
    assert notifications.digest_due("Europe/Berlin", monday_9_tokyo) is None  # 01:00 in Berlin
    with session_scope() as s:
        message = notifications.digest_message(s, s.get(Organization, org.id), "2026-W49", utcnow())
    assert message.subject == f"[{org.name}] Weekly digest 2026-W49"
    assert "Started failing this week:\n- [critical] Fake branch_protection" in message.body
    assert "- [low] Fake mfa" in message.body
    assert "Fixed this week:\n- none" in message.body
    assert "Fake mfa (mfa): accepted until" in message.body
    assert message.body.splitlines()[2].startswith("Score ")


def test_settings_refuse_bad_input_with_clear_messages_and_write_nothing(db, monkeypatch) -> None:
    org = make_org(owner=make_user())
    cases = [
        ({"extra_recipients": "ok@acme.test, not-an-email"}, "'not-an-email' is not a valid email address."),
        ({"webhook_url": "http://hooks.example.com/x"}, "The webhook URL must start with https://."),
        ({"webhook_url": "https://hooks.example.com:99999/x"}, "The webhook URL has an impossible port (1 to 65535)."),
        ({"webhook_url": "https://hooks.example.com/a b"}, "The webhook URL must not contain spaces, control or "
         "non-ASCII characters (percent-encode them)."),
        ({"timezone": "Mars/Olympus"}, "'Mars/Olympus' is not a known time zone (e.g. Europe/Berlin)."),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValidationError) as info:
            ns.update_notification_settings(Actor.system(), org.id, **kwargs)
        assert str(info.value) == message
    monkeypatch.setenv("ALLOW_PRIVATE_ENDPOINTS", "false")
    get_settings.cache_clear()
    for url in ("https://127.0.0.1:8443/hook", "https://10.1.2.3/hook", "https://169.254.169.254/latest"):
        with pytest.raises(ValidationError, match="private or local network address"):
            ns.update_notification_settings(Actor.system(), org.id, webhook_url=url)
    get_settings.cache_clear()
    with session_scope() as s:
        assert s.get(NotificationSettings, org.id) is None
    with pytest.raises(ValueError, match="smtp_port"):
        Settings(smtp_port=70000)


def test_webhook_url_is_encrypted_and_shown_only_by_host(db, channels) -> None:
    org = make_org(owner=make_user())
    view = ns.update_notification_settings(Actor.system(), org.id, webhook_url=channels.webhook.url())
    assert view.webhook_host == "127.0.0.1"
    with session_scope() as s:
        stored = s.execute(sa.text("SELECT webhook_encrypted FROM notification_settings")).scalar_one()
    assert "secretpath" not in stored and "127.0.0.1" not in stored
    assert ("notification_settings", "webhook_encrypted") in {(t.name, c.name) for t, c in encrypted_columns()}


def test_send_test_notification_reports_each_channel(db, channels, monkeypatch) -> None:
    owner = make_user(email="boss@acme.test")
    org = make_org(owner=owner, name="Acme")
    admin = add_member(org, make_user(), Role.ADMIN)
    configure(channels, org)
    results = ns.send_test_notification(actor_for(admin), org.id)
    assert [(r.channel, r.recipient, r.ok) for r in results] == [("email", "boss@acme.test", True),
                                                                 ("webhook", "webhook", True)]
    assert channels.mailbox.messages[0][1]["Subject"] == "[Acme] Test notification"

    channels.webhook.status = 404
    monkeypatch.setenv("SMTP_PASSWORD", "nope")
    get_settings.cache_clear()
    errors = [r.error for r in ns.send_test_notification(actor_for(admin), org.id)]
    assert errors == ["The mail server refused the login (authentication failed, 535).",
                      "The webhook answered 404 Not Found."]
    monkeypatch.setenv("SMTP_PORT", str(free_port()))
    monkeypatch.setenv("ALLOW_PRIVATE_ENDPOINTS", "false")  # the stored loopback webhook is now refused
    get_settings.cache_clear()
    errors = [r.error for r in ns.send_test_notification(actor_for(admin), org.id)]
    assert errors == ["Could not connect to the mail server (connection refused).", "Could not connect."]
    assert len(channels.webhook.bodies) == 2  # nothing reached the private target
    page = ns.list_notification_log(actor_for(admin), org.id)
    assert page.total == 6 and page.items[0].rule == "test" and page.items[0].error == "Could not connect."


def test_members_opt_in_for_themselves(db, channels) -> None:
    org = make_org(owner=make_user())
    viewer = add_member(org, make_user(email="viewer@acme.test"), Role.VIEWER)
    assert ns.is_subscribed(actor_for(viewer), org.id) is False
    ns.set_my_subscription(actor_for(viewer), org.id, True)
    ns.update_notification_settings(Actor.system(), org.id, extra_recipients="Auditor@Example.com")
    view = ns.get_notification_settings(Actor.system(), org.id)
    assert view.subscribers == ["viewer@acme.test"] and view.extra_recipients == ["auditor@example.com"]
    with session_scope() as s:
        assert notifications.audience(s, org.id).emails == ["viewer@acme.test", "auditor@example.com"]
    ns.set_my_subscription(actor_for(viewer), org.id, False)
    assert ns.get_notification_settings(Actor.system(), org.id).subscribers == []


def test_an_audit_the_reaper_gives_up_on_is_a_scan_problem(db, channels) -> None:
    org = make_org(owner=make_user())
    configure(channels, org, webhook=False)
    past = utcnow() - timedelta(minutes=10)
    with session_scope() as s:
        audit = Audit(organization_id=org.id, status=AuditStatus.RUNNING, worker_id="gone:1",
                      attempts=get_settings().audit_max_attempts, lease_expires_at=past, started_at=past)
        s.add(audit)
    assert audit_queue.reap_expired_leases().failed == [audit.id]
    (row,) = outbox()
    assert row.subject == f"[{org.name}] The scan failed" and "stopped responding" in row.body


def test_the_digest_is_queued_once_per_week_and_only_when_someone_would_get_it(db, channels) -> None:
    org = make_org(owner=make_user())
    ns.update_notification_settings(Actor.system(), org.id, timezone="Asia/Tokyo")
    monday = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 10:00 in Tokyo
    assert notifications.enqueue_reminders(monday) == 0  # nobody to send it to
    configure(channels, org, webhook=False)
    assert notifications.enqueue_reminders(monday) == 1
    assert notifications.enqueue_reminders(monday + timedelta(hours=2)) == 0
    assert [o.subject for o in outbox()] == [f"[{org.name}] Weekly digest 2026-W49"]
    assert notifications.enqueue_reminders(monday + timedelta(days=7)) == 1  # next Monday
