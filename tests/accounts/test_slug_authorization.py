"""A signed-in user's page names its organization by slug: authorize_slug reads the organization
and the user's role in one statement, with the answers authorize gives by id."""

from __future__ import annotations

import pytest

from compliance_app.db import session_scope
from compliance_app.models import Role
from compliance_app.services.authz import Actor, Permission, authorize, authorize_slug
from compliance_app.services.errors import AuthenticationRequired, NotFound, PermissionDenied
from tests.factories import actor_for, add_member, make_org, make_user
from tests.support.statements import answer_of, counted


@pytest.mark.parametrize("permission", [Permission.READ, Permission.RUN_SCAN, Permission.TRANSFER_OWNERSHIP])
def test_members_owners_and_outsiders_get_what_authorize_gives_in_one_statement(
    db: str, permission: Permission
) -> None:
    owner, viewer, outsider = make_user(), make_user(), make_user()
    org = make_org(owner, slug="acme")
    add_member(org, viewer, Role.VIEWER)
    for user in (owner, viewer, outsider):
        by_slug, sent = counted(lambda s, u=user: answer_of(authorize_slug(s, actor_for(u), "acme", permission)))
        by_id, _ = counted(lambda s, u=user: answer_of(authorize(s, actor_for(u), org.id, permission)))
        assert (by_slug, sent) == (by_id, 1)


def test_unknown_slugs_are_not_found_and_the_signed_out_must_sign_in(db: str) -> None:
    user = make_user()
    make_org(make_user(), slug="acme")
    for slug in ("no-such-org", "bad\x00slug"):
        with session_scope() as s, pytest.raises(NotFound):
            authorize_slug(s, actor_for(user), slug, Permission.READ)
    with session_scope() as s, pytest.raises(AuthenticationRequired):
        authorize_slug(s, Actor.anonymous(), "acme", Permission.READ)
    with session_scope() as s:
        assert authorize_slug(s, Actor.system(), "acme", Permission.MANAGE_MEMBERS).role == Role.ADMIN


def test_a_viewer_is_refused_actions_beyond_reading(db: str) -> None:
    org = make_org(make_user(), slug="acme")
    viewer = add_member(org, make_user(), Role.VIEWER)
    with session_scope() as s, pytest.raises(PermissionDenied, match=r"Your role \(viewer\)"):
        authorize_slug(s, actor_for(viewer), "acme", Permission.RUN_SCAN)
