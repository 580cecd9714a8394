"""The snapshot form lets the user choose the audit to freeze (bug 4), not only "the latest"."""

from __future__ import annotations

from compliance_app.pages.snapshots import SnapshotsState
from compliance_app.services import snapshots
from tests.factories import actor_for
from tests.first_hour.conftest import page_state
from tests.support.handlers import call


def test_the_snapshot_form_offers_completed_audits_and_freezes_the_chosen_one(monkeypatch, scenario):
    state = page_state(monkeypatch, SnapshotsState, actor_for(scenario.owner), str(scenario.org.id),
                       scenario.org.slug)
    state.can_member = True
    state._refresh()
    assert [a["id"] for a in state.audit_choices] == [str(scenario.audit.id), str(scenario.old_audit.id)]
    assert all(" UTC — score " in a["label"] for a in state.audit_choices)
    assert state.chosen_audit == str(scenario.audit.id), "the newest audit with a score by default"
    call(SnapshotsState.set_chosen_audit, state, str(scenario.old_audit.id))
    call(SnapshotsState.create_snapshot, state)
    assert state.error == "" and state.notice.startswith("Snapshot ")
    [made] = snapshots.list_snapshots(actor_for(scenario.owner), scenario.org.id).items
    assert str(made.audit_id) == str(scenario.old_audit.id)
