"""Opening an organization page reads its organization, the switcher and the landing preference
in one transaction (landing.enter_organization), with the answers the three separate
services gave."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from compliance_app.db import get_engine
from compliance_app.models import Role
from compliance_app.services import landing, organizations
from compliance_app.services.authz import Actor
from compliance_app.services.errors import AuthenticationRequired, NotFound
from tests.factories import actor_for, add_member, make_org, make_user


def test_a_member_gets_the_organization_the_switcher_and_lands_there_next(db: str) -> None:
    owner, viewer = make_user(), make_user()
    beta = make_org(owner, slug="beta", name="Beta")
    alpha = make_org(make_user(), slug="alpha", name="Alpha")
    add_member(alpha, viewer, Role.VIEWER)
    add_member(beta, viewer, Role.ADMIN)
    me = actor_for(viewer)
    assert landing.landing_path(me) == "/o/alpha", "first by name until one is opened"
    access, mine = landing.enter_organization(me, " Beta ")
    assert (access.organization.id, access.role, access.is_owner) == (beta.id, Role.ADMIN, False)
    assert mine == organizations.list_my_organizations(me)
    assert [o["slug"] for o in mine] == ["alpha", "beta"]
    assert landing.landing_path(me) == "/o/beta"


def test_one_transaction(db: str) -> None:
    owner = make_user()
    org = make_org(owner)
    begun: list[object] = []

    def on_begin(connection: object) -> None:
        begun.append(connection)

    sa.event.listen(get_engine(), "begin", on_begin)
    try:
        landing.enter_organization(actor_for(owner), org.slug)
    finally:
        sa.event.remove(get_engine(), "begin", on_begin)
    assert len(begun) == 1


def test_outsiders_and_the_signed_out_get_nothing_and_change_nothing(db: str) -> None:
    org = make_org(make_user(), slug="gamma")
    outsider = make_user()
    make_org(outsider, slug="own")
    with pytest.raises(NotFound):
        landing.enter_organization(actor_for(outsider), "gamma")
    with pytest.raises(NotFound):
        landing.enter_organization(actor_for(outsider), "no-such-org")
    assert landing.landing_path(actor_for(outsider)) == "/o/own"
    with pytest.raises(AuthenticationRequired):
        landing.enter_organization(Actor.anonymous(), org.slug)
