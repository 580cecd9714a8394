"""The API tokens page's rows (pure function) and its place in the navigation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from compliance_app.components.layout import ORG_NAV
from compliance_app.pages.api_tokens import token_rows
from compliance_app.services.api_tokens import TokenInfo

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def info(**changes: object) -> TokenInfo:
    base = dict(id=uuid.uuid4(), organization_id=uuid.uuid4(), name="CI", scope="scan", prefix="cat_abcdef",
                created_by="ann@example.com", created_at=NOW - timedelta(days=1), expires_at=NOW + timedelta(days=89),
                revoked_at=None, last_used_at=None, last_used_ip=None)
    return TokenInfo(**{**base, **changes})  # type: ignore[arg-type]


def test_rows_show_status_use_and_only_the_prefix() -> None:
    active, used, revoked, expired = token_rows([
        info(),
        info(last_used_at=NOW - timedelta(minutes=5), last_used_ip="203.0.113.9"),
        info(revoked_at=NOW),
        info(expires_at=NOW - timedelta(seconds=1)),
    ], now=NOW)
    assert (active["status"], active["last_used"], active["prefix"]) == ("active", "never", "cat_abcdef…")
    assert active["created"] == "2026-11-30 12:00 UTC by ann@example.com"
    assert active["expires"] == "2027-02-28 12:00 UTC"
    assert used["last_used"] == "2026-12-01 11:55 UTC from 203.0.113.9"
    assert revoked["status"] == "revoked" and expired["status"] == "expired"


def test_the_page_is_in_the_organization_navigation() -> None:
    assert ("API tokens", "key-round", "/api-tokens") in ORG_NAV
