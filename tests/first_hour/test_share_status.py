"""Dead share links answer 404 on the public page too; "Download JSON" downloads (bug 6)."""

from __future__ import annotations

from datetime import timedelta

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from compliance_app.api.public import ROUTES
from compliance_app.api.share_page_status import DeadShareLinkStatus
from compliance_app.db import session_scope
from compliance_app.models import PublicLink
from compliance_app.services import shares, snapshots
from tests.factories import actor_for, make_org, make_user
from tests.snapshots.factory import make_completed_audit

PAGE = "<html>the share page</html>"


def _client() -> TestClient:
    """The API routes plus a stand-in for Reflex's page, behind the middleware as create_api builds it."""
    page = Route("/share/{token}", lambda _request: HTMLResponse(PAGE))
    return TestClient(Starlette(routes=[*ROUTES, page], middleware=[Middleware(DeadShareLinkStatus)]))


def _links():
    owner = make_user()
    org = make_org(owner, slug="acme-corp")
    summary = snapshots.create_snapshot(actor_for(owner), make_completed_audit(org, approver=owner).id)
    live, live_token = shares.create_link(actor_for(owner), summary.id)
    revoked, revoked_token = shares.create_link(actor_for(owner), summary.id)
    shares.revoke_link(actor_for(owner), revoked.id)
    expired, expired_token = shares.create_link(actor_for(owner), summary.id, timedelta(hours=1))
    with session_scope() as s:
        s.get(PublicLink, expired.id).expires_at = expired.created_at - timedelta(seconds=1)
    return owner, org, summary, live, live_token, [revoked_token, expired_token, "no-such-token"]


def test_dead_links_answer_404_on_the_page_and_live_ones_200_without_counting_a_view(db):
    owner, org, _summary, live, live_token, dead = _links()
    client = _client()
    for token in dead:
        response = client.get(f"/share/{token}")
        assert response.status_code == 404, token
        assert response.text == PAGE, "the page still renders its own 'Link not found or expired'"
        assert response.headers["x-robots-tag"] == "noindex, nofollow"
    live_page = client.get(f"/share/{live_token}")
    assert live_page.status_code == 200 and live_page.headers["cache-control"] == "no-store"
    assert client.get("/about").status_code == 404  # other paths untouched (no route here)
    [listed] = [x for x in shares.list_links(actor_for(owner), org.slug) if x.id == live.id]
    assert listed.view_count == 0


def test_download_json_is_an_attachment_named_after_the_organization_and_date(db):
    _owner, _org, summary, _live, live_token, _dead = _links()
    response = _client().get(f"/api/public/snapshots/{live_token}")
    assert response.status_code == 200
    day = summary.created_at.date().isoformat()
    assert response.headers["content-disposition"] == f'attachment; filename="acme-corp-snapshot-{day}.json"'
    pdf = _client().get(f"/api/public/snapshots/{live_token}/pdf")
    assert pdf.headers["content-disposition"] == f'attachment; filename="acme-corp-snapshot-{day}.pdf"'
