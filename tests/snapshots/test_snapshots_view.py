"""The snapshots page reads its list, chain labels, audits to freeze and links in one transaction,
with the answers of the separate services, and never reads a snapshot's data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from compliance_app.db import get_engine, session_scope
from compliance_app.models import Role
from compliance_app.models.snapshot import SnapshotTombstone
from compliance_app.models.types import utcnow
from compliance_app.services import dashboard, shares, snapshot_signing, snapshots
from compliance_app.services.errors import NotFound, PermissionDenied
from compliance_app.services.snapshots_view import snapshots_view
from tests.factories import actor_for, add_member, make_org, make_user
from tests.snapshots.factory import make_completed_audit


@contextmanager
def _traffic() -> Iterator[dict[str, list[str]]]:
    """The pool checkouts (transactions) and statements sent inside the block."""
    seen: dict[str, list[str]] = {"checkouts": [], "statements": []}

    def checkout(dbapi_connection, record, proxy) -> None:
        seen["checkouts"].append("checkout")

    def execute(conn, cursor, statement, parameters, context, executemany) -> None:
        seen["statements"].append(statement)

    engine = get_engine()
    sa.event.listen(engine, "checkout", checkout)
    sa.event.listen(engine, "before_cursor_execute", execute)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "checkout", checkout)
        sa.event.remove(engine, "before_cursor_execute", execute)


def test_one_transaction_gives_what_the_separate_services_give(db: str) -> None:
    owner = make_user()
    org = make_org(owner)
    actor = actor_for(owner)
    made = [snapshots.create_snapshot(actor, make_completed_audit(org, approver=owner).id) for _ in range(3)]
    shares.create_link(actor, made[1].id)
    with _traffic() as traffic:
        view = snapshots_view(actor, org.id, 1, 20)
    assert len(traffic["checkouts"]) == 1
    assert [q for q in traffic["statements"] if "audit_snapshot.data" in q] == []
    assert view.snapshots == snapshots.list_snapshots(actor, org.id)
    assert view.chain == snapshot_signing.chain_overview(actor, org.id, [m.id for m in made])
    assert view.completed_audits == dashboard.list_audit_rows(actor, org.id, status="COMPLETED", page_size=20).items
    assert view.links == shares.list_links(actor, org.id) and len(view.links) == 1
    assert len(view.completed_audits) == 3 and len(view.snapshots.items) == 3


def test_a_viewer_sees_no_links_and_an_outsider_nothing(db: str) -> None:
    owner = make_user()
    org = make_org(owner)
    made = snapshots.create_snapshot(actor_for(owner), make_completed_audit(org, approver=owner).id)
    shares.create_link(actor_for(owner), made.id)
    viewer = actor_for(add_member(org, make_user(), Role.VIEWER))
    view = snapshots_view(viewer, org.id)
    assert view.links == [] and [item.id for item in view.snapshots.items] == [made.id]
    with pytest.raises(PermissionDenied):
        shares.list_links(viewer, org.id)
    with pytest.raises(NotFound):
        snapshots_view(actor_for(make_user()), org.id)


def test_chain_labels_name_the_previous_snapshot_or_its_tombstone(db: str) -> None:
    owner = make_user()
    org = make_org(owner)
    actor = actor_for(owner)
    made = [snapshots.create_snapshot(actor, make_completed_audit(org, approver=owner).id) for _ in range(3)]
    with session_scope() as s:  # as retention leaves the chain when it deletes the first snapshot
        first = s.get(snapshots.AuditSnapshot, made[0].id)
        s.add(SnapshotTombstone(snapshot_id=first.id, organization_id=org.id, sequence=first.sequence,
                                checksum=first.checksum, previous_checksum=first.previous_checksum,
                                envelope=first.envelope, created_at=first.created_at, deleted_at=utcnow()))
        s.flush()
        s.delete(first)
    labels = snapshots_view(actor, org.id).chain.labels
    assert set(labels) == {made[1].id, made[2].id}
    assert labels[made[1].id].endswith(f"sequence 2, chained to snapshot #{made[0].id} (expired, tombstone kept)")
    assert labels[made[2].id].endswith(f"sequence 3, chained to snapshot #{made[1].id}")
    assert "signed by this installation (key " in labels[made[2].id]
