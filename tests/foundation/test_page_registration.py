"""Each page is added to the app once, when the app module is imported.

Reflex's compile adds the @rx.page pages it has not been given yet, and `reflex run --env prod`
compiles the same App twice (the supervisor, then each worker forked from it); pages still
pending at the second compile were added again and logged "Page … is being redefined" per route.
"""

from __future__ import annotations

from typing import Any

import pytest
from reflex_base.registry import RegistrationContext

from compliance_app.compliance_app import app


def test_the_app_holds_every_page_and_leaves_none_for_a_compile_to_add(monkeypatch: pytest.MonkeyPatch) -> None:
    routes = set(app._unevaluated_pages)
    assert {"index", "login", "signup", "orgs", "about", "o/[slug]", "share/[token]"} <= routes
    assert not RegistrationContext.ensure_context().decorated_pages
    added: list[Any] = []
    monkeypatch.setattr(app, "add_page", lambda *args, **kwargs: added.append((args, kwargs)))
    for _compile in range(2):  # what every compile does first, in the supervisor and in each worker
        app._apply_decorated_pages()
    assert added == [] and set(app._unevaluated_pages) == routes
