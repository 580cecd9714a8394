"""Links shown to the user work where the app runs (bug 2): APP_URL follows PORT unless set."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from compliance_app.services.organizations import invitation_url
from compliance_app.settings import get_settings


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_links_follow_port_when_app_url_is_unset(monkeypatch, fresh_settings):
    monkeypatch.delenv("APP_URL", raising=False)
    monkeypatch.setenv("PORT", "4123")
    assert invitation_url("tok") == "http://localhost:4123/invite/tok"


def test_an_empty_app_url_also_follows_port(monkeypatch, fresh_settings):
    monkeypatch.setenv("APP_URL", "")
    monkeypatch.setenv("PORT", "8080")
    assert get_settings().app_url == "http://localhost:8080"


def test_app_url_wins_when_set(monkeypatch, fresh_settings):
    monkeypatch.setenv("APP_URL", "https://compliance.example.com/")
    monkeypatch.setenv("PORT", "4123")
    assert invitation_url("tok") == "https://compliance.example.com/invite/tok"


def test_sign_in_offers_the_demo_login_only_while_the_demo_exists(db):
    from compliance_app.services.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_login, seed_demo

    assert demo_login() is None
    seed_demo()
    assert demo_login() == (DEMO_EMAIL, DEMO_PASSWORD)
