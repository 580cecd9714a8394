"""The sign-in routes as a browser (or an attacker's script) calls them."""

from __future__ import annotations

import pytest

from compliance_app.api.auth import DEFAULT_NEXT, safe_next


@pytest.mark.parametrize(
    "value",
    ["/\t/evil.example", "/\n/evil.example", "/\r\n//evil.example", "/x\x00y", "/\x7f", "/a\x85b",
     "//evil.example", "/\\evil.example", "https://evil.example", "", None, "/login?next=/x"],
)  # fmt: skip
def test_safe_next_refuses_what_a_browser_could_read_as_another_site(value: str | None) -> None:
    assert safe_next(value) == DEFAULT_NEXT


def test_safe_next_keeps_local_paths() -> None:
    assert safe_next("/o/acme/audits?page=2") == "/o/acme/audits?page=2"
