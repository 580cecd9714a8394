"""Pending invitations can be resent (the earlier link then stops working) or revoked (flow 10)."""

from __future__ import annotations

import pytest

from compliance_app.pages.members import MembersState
from compliance_app.services import organizations
from compliance_app.services.errors import ServiceError
from tests.factories import actor_for, make_org, make_user
from tests.first_hour.conftest import page_state
from tests.support.handlers import call


def test_resend_prepares_a_new_invite_for_the_same_email_and_role(db, monkeypatch):
    owner = make_user()
    org = make_org(owner)
    _first, first_token = organizations.invite_member(actor_for(owner), org.id, "friend@example.com", "viewer")
    state = page_state(monkeypatch, MembersState, actor_for(owner), str(org.id), org.slug)
    follow_up = call(MembersState.resend, state, "friend@example.com", "viewer")
    assert (state.invite_email, state.invite_role) == ("friend@example.com", "viewer")
    assert follow_up is MembersState.invite, "resending goes through the same invite flow"
    _again, _token = organizations.invite_member(actor_for(owner), org.id, state.invite_email, state.invite_role)
    with pytest.raises(ServiceError):
        organizations.preview_invitation(first_token)  # what the page's note warns about
    assert [i.email for i in organizations.list_invitations(actor_for(owner), org.id)] == ["friend@example.com"]
