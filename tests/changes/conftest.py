"""Fixtures of the notification tests: SMTP and webhook receivers on loopback, settings pointed at them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from compliance_app.settings import get_settings
from tests.changes.receivers import SMTP_PASSWORD, SMTP_USER, Mailbox, Webhook, smtp_server, webhook_receiver


@dataclass
class Channels:
    mailbox: Mailbox
    webhook: Webhook
    smtp_port: int
    ca_file: Path

    def env(self) -> dict[str, str]:
        """The environment a worker process needs to reach both receivers."""
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.smtp_port), "SMTP_USER": SMTP_USER,
                "SMTP_PASSWORD": SMTP_PASSWORD, "SMTP_SECURITY": "none", "SMTP_FROM": "alerts@compliance.test",
                "SSL_CERT_FILE": str(self.ca_file), "NOTIFICATION_RETRY_SECONDS": "0"}


@pytest.fixture
def channels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Channels]:
    with smtp_server() as (port, mailbox), webhook_receiver(tmp_path) as (hook, ca_file):
        found = Channels(mailbox, hook, port, ca_file)
        for name, value in found.env().items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        yield found
    get_settings.cache_clear()
