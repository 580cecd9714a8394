"""authorize (by id) and authorize_row read a signed-in user's organization and role, and the row,
in one statement: the answers for members, owners, outsiders, missing ids, the system and tokens
are those of the role matrix, and a refusal still says nothing about other tenants."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import defer

from compliance_app.db import session_scope
from compliance_app.models import Audit, AuditStatus, Organization, Role
from compliance_app.services.authz import ROW_ID_MAX, Actor, Permission, TokenGrant, authorize, authorize_row
from compliance_app.services.errors import AuthenticationRequired, NotFound, PermissionDenied
from tests.factories import actor_for, add_member, make_org, make_user
from tests.support.statements import answer_of, counted

NOT_FOUND = "Audit not found."


def _audit(org: Organization) -> uuid.UUID:
    with session_scope() as s:
        audit = Audit(organization_id=org.id, status=AuditStatus.COMPLETED, scope={"aws": {"scanned": ["eu-west-1"]}})
        s.add(audit)
    return audit.id


def test_users_are_answered_from_their_role_in_one_statement(db: str) -> None:
    owner, viewer, outsider = make_user(), make_user(), make_user()
    org = make_org(owner)
    add_member(org, viewer, Role.VIEWER)
    refused = (PermissionDenied, "Your role (viewer) does not allow this action (run scan).")
    owner_only = (PermissionDenied, "Only the organization's owner can do this.")
    hidden = (NotFound, "Organization not found.")
    expected = [
        (owner, Permission.READ, (org.id, Role.ADMIN, True)),
        (owner, Permission.TRANSFER_OWNERSHIP, (org.id, Role.ADMIN, True)),
        (viewer, Permission.READ, (org.id, Role.VIEWER, False)),
        (viewer, Permission.RUN_SCAN, refused),
        (viewer, Permission.TRANSFER_OWNERSHIP, owner_only),
        (outsider, Permission.READ, hidden),
        (outsider, Permission.TRANSFER_OWNERSHIP, hidden),
    ]
    for user, permission, answer in expected:
        got = counted(lambda s, u=user, p=permission: answer_of(authorize(s, actor_for(u), org.id, p)))
        assert got == (answer, 1), (user.email, permission)
    assert counted(lambda s: authorize(s, actor_for(owner), uuid.uuid4(), Permission.READ)) == (hidden, 1)


def test_the_system_tokens_and_the_signed_out_keep_their_answers(db: str) -> None:
    org, other = make_org(), make_org()
    hidden = (NotFound, "Organization not found.")
    system = Actor.system()
    assert counted(lambda s: answer_of(authorize(s, system, org.id, Permission.MANAGE_MEMBERS)))[0] == (
        org.id, Role.ADMIN, True)
    assert counted(lambda s: authorize(s, system, uuid.uuid4(), Permission.READ))[0] == hidden
    token = Actor(user_id=None, token=TokenGrant(uuid.uuid4(), org.id, Role.VIEWER))
    assert counted(lambda s: answer_of(authorize(s, token, org.id, Permission.READ)))[0] == (org.id, Role.VIEWER, False)
    assert counted(lambda s: authorize(s, token, org.id, Permission.RUN_SCAN))[0] == (
        PermissionDenied, "This token's scope does not allow this action (run scan).")
    assert counted(lambda s: authorize(s, token, other.id, Permission.READ))[0] == hidden
    with session_scope() as s, pytest.raises(AuthenticationRequired):
        authorize(s, Actor.anonymous(), org.id, Permission.READ)


def test_a_users_row_is_read_and_authorized_in_one_statement(db: str) -> None:
    owner, viewer, outsider = make_user(), make_user(), make_user()
    org = make_org(owner)
    add_member(org, viewer, Role.VIEWER)
    audit_id = _audit(org)
    theirs = _audit(make_org())

    def read(user, key: object, permission: Permission = Permission.READ) -> Callable[[sa.orm.Session], object]:
        def call(s: sa.orm.Session) -> object:
            row, access = authorize_row(s, actor_for(user), Audit, key, permission, NOT_FOUND)
            return row.id, answer_of(access)
        return call

    hidden = (NotFound, NOT_FOUND)
    assert counted(read(viewer, audit_id)) == ((audit_id, (org.id, Role.VIEWER, False)), 1)
    assert counted(read(owner, audit_id, Permission.TRANSFER_OWNERSHIP)) == ((audit_id, (org.id, Role.ADMIN, True)), 1)
    assert counted(read(viewer, audit_id, Permission.RUN_SCAN)) == (
        (PermissionDenied, "Your role (viewer) does not allow this action (run scan)."), 1)
    # Another tenant's row, a missing one and an outsider's look the same.
    assert counted(read(viewer, theirs)) == (hidden, 1)
    assert counted(read(viewer, uuid.uuid4())) == (hidden, 1)
    assert counted(read(outsider, audit_id)) == (hidden, 1)
    assert counted(read(viewer, ROW_ID_MAX + 1)) == (hidden, 0)


def test_row_options_are_honoured_and_other_callers_keep_their_answers(db: str) -> None:
    owner = make_user()
    org = make_org(owner)
    audit_id = _audit(org)
    with session_scope() as s:
        row, _access = authorize_row(s, actor_for(owner), Audit, audit_id, Permission.READ, NOT_FOUND,
                                     options=(defer(Audit.scope),))
        assert "scope" in sa.inspect(row).unloaded
        assert row.scope == {"aws": {"scanned": ["eu-west-1"]}}  # still there when asked for
    with session_scope() as s:
        row, access = authorize_row(s, Actor.system(), Audit, audit_id, Permission.READ, NOT_FOUND)
        assert (row.id, access.role) == (audit_id, Role.ADMIN)
    token = Actor(user_id=None, token=TokenGrant(uuid.uuid4(), make_org().id, Role.ADMIN))
    with session_scope() as s, pytest.raises(NotFound, match=NOT_FOUND):
        authorize_row(s, token, Audit, audit_id, Permission.READ, NOT_FOUND)
