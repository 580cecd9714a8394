"""One decorator registers every organization page (STYLE "Large Reflex pages"):
route under /o/[slug], title, and the shared frame with its not-found guard."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import reflex as rx

from compliance_app.components.org_page import org_page

PAGES = Path(__file__).resolve().parents[2] / "compliance_app" / "pages"
ORG_PAGES = ("members", "activity", "audits", "audit_detail", "risks", "billing", "org_settings", "integrations",
             "dashboard", "snapshots", "notifications", "checks")


def test_the_decorator_registers_route_title_and_frame(monkeypatch):
    registered: list[tuple[str, dict]] = []

    def fake_page(**kwargs):
        def add(fn):
            registered.append((fn.__name__, kwargs))
            return fn
        return add

    monkeypatch.setattr(rx, "page", fake_page)

    @org_page("/things", "Things", on_load=None)
    def things_page() -> rx.Component:
        return rx.text("the things")

    assert registered == [("things_page", {"route": "/o/[slug]/things", "title": "Things · compliance_app",
                                           "on_load": None})]
    rendered = str(things_page().render())
    assert "the things" in rendered and "Things" in rendered
    assert "Organization not found" in rendered  # non-members see only that


def test_every_organization_page_uses_it():
    for name in ORG_PAGES:
        module = PAGES / f"{name}.py"
        source = (module if module.exists() else PAGES / name / "__init__.py").read_text()  # or a package
        assert "@org_page(" in source and "org_shell(" not in source, name
        page = getattr(importlib.import_module(f"compliance_app.pages.{name}"), f"{name}_page")
        assert "Organization not found" in str(page().render()), name
    # No page registers an /o/[slug] route by hand, except the API tokens page, which still does.
    by_hand = [p.name for p in PAGES.rglob("*.py") if re.search(r'rx\.page\(route="/o/', p.read_text())]
    assert set(by_hand) <= {"api_tokens.py"}, by_hand
