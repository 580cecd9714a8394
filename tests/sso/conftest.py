"""Single sign-on tests: the loopback identity provider, configured as this app's issuer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from compliance_app.settings import get_settings
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, Person, Provider, running_provider


@pytest.fixture
def idp(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Provider]:
    """A provider signed in as ada@acme.example (verified), and the app configured to use it."""
    with running_provider(Person(email="ada@acme.example")) as provider:
        monkeypatch.setenv("OIDC_ISSUER", provider.issuer)
        monkeypatch.setenv("OIDC_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("OIDC_CLIENT_SECRET", CLIENT_SECRET)
        monkeypatch.setenv("OIDC_NAME", "Acme ID")
        get_settings.cache_clear()
        yield provider
    get_settings.cache_clear()
