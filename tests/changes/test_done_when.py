"""With two workers running, a scan that introduces a critical failure makes exactly one email
and one webhook message within a minute; the dashboard shows the change and the notifications
page the deliveries (Chromium against the production build). The received email and webhook
body, and screenshots, are saved to /tmp/report_changes/ for inspection."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from compliance_app.db import session_scope
from compliance_app.models import Audit, AuditStatus
from compliance_app.services import notification_settings as ns
from compliance_app.services.authz import Actor
from compliance_app.services.scans import request_scan
from tests.conftest import login, wait_for_app_hydration
from tests.factories import DEFAULT_PASSWORD, make_org, make_user
from tests.support.worker_process import WorkerProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPORT = Path("/tmp/report_changes")
TIMEOUT = 30_000


@pytest.fixture
def workers(db: str, channels, tmp_path: Path) -> Iterator[tuple[list[WorkerProcess], Path]]:
    findings = tmp_path / "findings.json"
    findings.write_text(json.dumps([["repo-a", "PASS"]]))
    env = {**channels.env(), "DATABASE_URL": db, "WORKER_POLL_SECONDS": "0.5",
           "ENGINE_OVERRIDE_MODULE": "tests.changes.scripted_engine", "SCRIPTED_FINDINGS_FILE": str(findings)}
    procs = [WorkerProcess(tmp_path / f"worker{i}.log", env) for i in (1, 2)]
    try:
        for proc in procs:
            proc.wait_ready()
        yield procs, findings
    finally:
        for proc in procs:
            proc.stop()


def _scan_and_wait(org_id: uuid.UUID, timeout: float = 60) -> uuid.UUID:
    audit_id = request_scan(Actor.system("test"), org_id).id
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope() as s:
            if s.get(Audit, audit_id).status == AuditStatus.COMPLETED:
                return audit_id
        time.sleep(0.3)
    raise AssertionError(f"audit {audit_id} did not complete within {timeout} s")


def test_a_new_critical_failure_reaches_mail_and_webhook_once_and_shows_in_the_app(
        live_app: str, chromium, db: str, channels, workers) -> None:
    procs, findings = workers
    owner = make_user(email="ciso@acme.test")
    org = make_org(owner=owner, name="Acme Corp", slug="acme-corp")
    ns.set_my_subscription(Actor(user_id=owner.id, label="owner"), org.id, True)
    ns.update_notification_settings(Actor.system(), org.id, webhook_url=channels.webhook.url())

    _scan_and_wait(org.id)
    findings.write_text(json.dumps([["repo-a", "FAIL"], ["repo-b", "PASS"]]))
    started = time.monotonic()
    audit_id = _scan_and_wait(org.id)
    while not (channels.mailbox.messages and channels.webhook.bodies):
        assert time.monotonic() - started < 60, "no email and webhook message within a minute"
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    time.sleep(12)  # two more rounds of both workers' delivery jobs: nothing is sent twice
    assert len(channels.mailbox.messages) == 1 and len(channels.webhook.bodies) == 1
    assert all(p.alive() for p in procs)

    rcpts, mail, raw = channels.mailbox.messages[0]
    assert rcpts == ["ciso@acme.test"]
    assert mail["Subject"] == "[Acme Corp] New critical failure: Fake done_when_branch_protection"
    assert f"/o/acme-corp/audits/{audit_id}" in mail.get_payload(decode=True).decode()
    assert f"/o/acme-corp/audits/{audit_id}" in channels.webhook.bodies[0]["text"]
    REPORT.mkdir(parents=True, exist_ok=True)
    (REPORT / "email.eml").write_bytes(raw)
    (REPORT / "webhook.json").write_text(json.dumps(channels.webhook.bodies[0], indent=2) + "\n")
    (REPORT / "timing.txt").write_text(f"scan completed and both messages received {elapsed:.1f} s after the "
                                       f"scan was queued; 2 workers; 1 email, 1 webhook message\n")

    context = chromium.new_context(base_url=live_app, viewport={"width": 1280, "height": 1000})
    login(context, live_app, "ciso@acme.test", DEFAULT_PASSWORD)
    page = context.new_page()
    page.goto("/o/acme-corp")
    wait_for_app_hydration(page)
    section = page.locator(".since-last-scan")
    section.wait_for(timeout=TIMEOUT)
    assert section.locator(".changes-summary").inner_text() == "1 check started failing; score 100 → 0 (-100)."
    row = section.locator(".change-row").first
    assert "Started failing" in row.inner_text() and "done_when_branch_protection" in row.inner_text()
    assert "newly failing: repo-a" in section.inner_text()
    page.screenshot(path=str(REPORT / "dashboard.png"), full_page=True)

    page.goto(f"/o/acme-corp/audits/{audit_id}")
    wait_for_app_hydration(page)
    page.locator(".since-last-scan .changes-summary").wait_for(timeout=TIMEOUT)

    page.goto("/o/acme-corp/notifications")
    wait_for_app_hydration(page)
    page.locator(".log-row").first.wait_for(timeout=TIMEOUT)
    rows = [r.inner_text() for r in page.locator(".log-row").all()]
    assert len(rows) == 2 and all("New failures" in r and "SENT" in r for r in rows)
    assert any("ciso@acme.test" in r for r in rows) and any("webhook" in r for r in rows)
    assert "secretpath" not in page.content()  # the webhook URL is never sent to the browser
    page.screenshot(path=str(REPORT / "notification_log.png"), full_page=True)
    context.close()
