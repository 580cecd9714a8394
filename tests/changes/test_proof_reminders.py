"""Notification rule proof_expiring: uploaded proof that expires within 30 days or is
stale is told once per proof and state, by email and webhook, and listed in the weekly digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from compliance_app.db import session_scope
from compliance_app.models import Evidence, NotificationRule, Organization, Question
from compliance_app.models.notification import default_rules
from compliance_app.models.types import utcnow
from compliance_app.services import notification_delivery, notifications
from compliance_app.services import notification_settings as ns
from compliance_app.services.authz import Actor
from compliance_app.services.evidence_files import save_evidence_file
from tests.changes.scripted import scan_with
from tests.changes.test_notifications import CALM, configure, outbox
from tests.dashboard.conftest import png_bytes
from tests.factories import make_org, make_user


def _evidence_id(audit_id, key: str) -> int:
    with session_scope() as s:
        return s.exec(select(Evidence.id).join(Question, Question.id == Evidence.question_id)
                      .where(Evidence.audit_id == audit_id, Question.key == key)).one()


def test_the_rule_is_on_by_default_and_labelled() -> None:
    assert default_rules()[NotificationRule.PROOF_EXPIRING.value] is True
    assert ns.RULE_LABELS["proof_expiring"] == "Uploaded proof expires within 30 days or is stale"


def test_expiring_then_stale_proof_is_one_message_per_state_on_each_channel(db, data_dir, channels) -> None:
    owner = make_user(email="owner@acme.test")
    org = make_org(owner=owner, name="Acme")
    configure(channels, org)
    audit = scan_with(org, CALM)
    proven_on = utcnow().date() - timedelta(days=350)  # valid until 15 days from now
    save_evidence_file(Actor.system(), _evidence_id(audit.id, "branch_protection"), png_bytes(), "bp.png",
                       proven_on)
    save_evidence_file(Actor.system(), _evidence_id(audit.id, "mfa"), png_bytes(), "mfa.png",
                       utcnow().date())  # current: says nothing

    assert notifications.enqueue_reminders() == 2  # one email, one webhook message
    assert notifications.enqueue_reminders() == 0  # the job runs every minute: nothing new
    assert notification_delivery.deliver_due("test-worker") == 2
    (rcpts, mail, _raw), = channels.mailbox.messages
    expires = proven_on + timedelta(days=365)
    assert rcpts == ["owner@acme.test"]
    assert mail["Subject"] == f"[Acme] Proof expires {expires:%Y-%m-%d}: Fake branch_protection"
    text = mail.get_payload(decode=True).decode()
    assert f"- Fake branch_protection (branch_protection) for repo-a: dated {proven_on:%Y-%m-%d}" in text
    assert f"/o/{org.slug}" in text
    (body,) = channels.webhook.bodies
    assert "Proof expires" in body["text"] and "Fake branch_protection" in body["text"]

    later = utcnow() + timedelta(days=20)  # now past its validity: stale, told once more
    assert notifications.enqueue_reminders(later) == 2
    assert notifications.enqueue_reminders(later + timedelta(minutes=1)) == 0
    assert [o.subject for o in outbox()][-2:] == ["[Acme] Proof is stale: Fake branch_protection"] * 2
    assert all(o.rule == "proof_expiring" for o in outbox())


def test_switched_off_the_rule_sends_nothing(db, data_dir, channels) -> None:
    org = make_org(owner=make_user())
    configure(channels, org, webhook=False)
    audit = scan_with(org, CALM)
    ns.update_notification_settings(Actor.system(), org.id, rules={"proof_expiring": False})
    save_evidence_file(Actor.system(), _evidence_id(audit.id, "mfa"), png_bytes(), "m.png",
                       utcnow().date() - timedelta(days=400))
    assert notifications.enqueue_reminders() == 0


def test_the_weekly_digest_lists_what_proof_expires(db, data_dir, channels) -> None:
    org = make_org(owner=make_user())
    configure(channels, org, webhook=False)
    audit = scan_with(org, CALM)
    with session_scope() as s:
        empty = notifications.digest_message(s, s.get(Organization, org.id), "2026-W49", utcnow())
    assert "Uploaded proof stale or expiring within 30 days:\n- none" in empty.body
    save_evidence_file(Actor.system(), _evidence_id(audit.id, "mfa"), png_bytes(), "m.png",
                       utcnow().date() - timedelta(days=400))
    now = datetime.now(UTC)
    with session_scope() as s:
        message = notifications.digest_message(s, s.get(Organization, org.id), "2026-W49", now)
    stale_since = now.date() - timedelta(days=35)
    assert ("Uploaded proof stale or expiring within 30 days:\n- Fake mfa (mfa) for acme: dated "
            f"{now.date() - timedelta(days=400):%Y-%m-%d}, stale since {stale_since:%Y-%m-%d}") in message.body
