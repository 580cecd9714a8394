"""Every organization page (/o/[slug]/…) opened by the wrong people, in Chromium.

The routes come from the app itself (every page module registers its route), so a page
added later is covered without touching this file; a page with a path parameter this
file has no value for fails until PAGE_PARAMS gets organization A's value for it.

- a member of organization B opening organization A's URLs sees the not-found view and
  none of A's names, resources or score;
- the same member opening their OWN organization's URL with A's ids in the other
  parameters (e.g. /o/b/audits/<A's audit>) sees "not found" for that object, not A's data;
- a signed-out visitor is sent to /login and sees none of A's data on the way.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from compliance_app.db import session_scope
from compliance_app.models import Audit
from tests.conftest import login, wait_for_app_hydration
from tests.factories import DEFAULT_PASSWORD
from tests.security.conftest import ORG_A_NAME, World

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT = 30_000
NOT_FOUND = re.compile("not found", re.IGNORECASE)

#: Page path parameter -> organization A's value for it.
PAGE_PARAMS: dict[str, Callable[[World], str]] = {
    "slug": lambda w: w.org_a.slug,
    "audit_id": lambda w: str(w.audit_a),
    "snapshot_id": lambda w: str(w.snapshot_a),
    "evidence_id": lambda w: str(w.evidence_a),
    "integration_id": lambda w: str(w.integration_a),
    "link_id": lambda w: str(w.link_a),
}


def org_page_routes() -> list[str]:
    """Routes of the app that live under /o/[slug], as registered by the page modules."""
    from compliance_app.compliance_app import app

    if not app._unevaluated_pages:
        app._apply_decorated_pages()
    routes = sorted(key for key in app._unevaluated_pages if key.strip("/").startswith("o/[slug]"))
    assert routes, "no /o/[slug] pages found: the page registry moved, fix org_page_routes()"
    return routes


def fill(route: str, world: World, slug: str | None = None) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in PAGE_PARAMS, f"page parameter [{name}] of {route} has no value in PAGE_PARAMS"
        return slug if (name == "slug" and slug) else PAGE_PARAMS[name](world)

    return "/" + re.sub(r"\[(\w+)\]", value, route.strip("/"))


def a_markers(world: World) -> list[str]:
    return [*world.markers, "Quokka GitHub", "quokka-gh"]


def audit_score(world: World) -> int:
    with session_scope() as s:
        score = s.get(Audit, world.audit_a).score
    assert score is not None
    return score


def visible_text(page) -> str:
    return page.inner_text("body")


def test_every_org_page_refuses_other_tenants_and_anonymous(live_app: str, chromium, world: World) -> None:
    routes = org_page_routes()
    score = audit_score(world)
    problems: list[str] = []

    # The attacker: a signed-in member of organization B.
    context = chromium.new_context(base_url=live_app)
    try:
        login(context, live_app, world.user_b.email, DEFAULT_PASSWORD, next_path="/orgs")
        page = context.new_page()
        for route in routes:
            for slug in (None, world.org_b.slug):
                if slug and "[" not in route.replace("[slug]", ""):
                    continue  # own organization, no foreign ids in the URL: nothing to test
                url = fill(route, world, slug)
                page.goto(url)
                wait_for_app_hydration(page)
                try:
                    page.get_by_text(NOT_FOUND).first.wait_for(timeout=TIMEOUT)
                except Exception:
                    problems.append(f"{url} as org B member: no not-found view; shows {visible_text(page)[:300]!r}")
                    continue
                page.wait_for_timeout(300)  # let any late state update land before reading
                text = visible_text(page)
                leaked = [m for m in a_markers(world) if m in text]
                if leaked:
                    problems.append(f"{url} as org B member shows organization A's {leaked}")
                if slug is None and re.search(rf"\b{score}\b", text):
                    problems.append(f"{url} as org B member shows organization A's score {score}")
    finally:
        context.close()

    # A signed-out visitor.
    context = chromium.new_context(base_url=live_app)
    try:
        page = context.new_page()
        for route in routes:
            url = fill(route, world)
            page.goto(url)
            try:
                page.wait_for_url("**/login**", timeout=TIMEOUT)
            except Exception:
                problems.append(f"{url} signed out: not sent to /login (at {page.url})")
                continue
            wait_for_app_hydration(page)
            leaked = [m for m in a_markers(world) if m in visible_text(page)]
            if leaked:
                problems.append(f"{url} signed out shows organization A's {leaked}")
        # The public share page: dead links of A's snapshot all show the same not-found card.
        dead = {"forged": "x" * 43, "expired": world.expired_token_a, "revoked": world.revoked_token_a}
        for name, token in dead.items():
            page.goto(f"/share/{token}")
            wait_for_app_hydration(page)
            try:
                page.locator("#share-not-found").wait_for(timeout=TIMEOUT)
            except Exception:
                problems.append(f"/share/<{name} token>: no not-found card; shows {visible_text(page)[:300]!r}")
                continue
            leaked = [m for m in a_markers(world) if m in visible_text(page)]
            if leaked:
                problems.append(f"/share/<{name} token> shows organization A's {leaked}")
    finally:
        context.close()

    # Control: A's own viewer does see A's data on the same URLs (so the checks above can fail).
    context = chromium.new_context(base_url=live_app)
    try:
        login(context, live_app, world.viewer_a.email, DEFAULT_PASSWORD, next_path="/orgs")
        page = context.new_page()
        page.goto(fill("o/[slug]", world))
        wait_for_app_hydration(page)
        page.get_by_text(ORG_A_NAME).first.wait_for(timeout=TIMEOUT)
        audit_route = next((r for r in routes if "[audit_id]" in r), None)
        if audit_route:
            page.goto(fill(audit_route, world))
            wait_for_app_hydration(page)
            page.locator(".check-row").first.click()  # the audit page shows resources inside their check
            page.get_by_text(world.markers[2]).first.wait_for(timeout=TIMEOUT)
    finally:
        context.close()

    assert not problems, "\n".join(problems)
