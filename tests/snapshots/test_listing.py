"""The snapshots list reads columns: no snapshot's data is loaded or re-hashed per page load;
a verification's time and verdict are kept beside the snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from compliance_app.db import get_engine, session_scope
from compliance_app.models.snapshot import SnapshotListing
from compliance_app.services import snapshots
from tests.factories import actor_for, make_org, make_user
from tests.snapshots.factory import make_completed_audit


@contextmanager
def _statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    engine = get_engine()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _reads_snapshot_data(statements: list[str]) -> list[str]:
    return [q for q in statements if "audit_snapshot.data" in q and q.lstrip().upper().startswith("SELECT")]


def test_listing_pinning_and_paging_never_read_snapshot_data(db) -> None:
    owner = make_user()
    org = make_org(owner)
    actor = actor_for(owner)
    made = [snapshots.create_snapshot(actor, make_completed_audit(org, approver=owner).id) for _ in range(3)]
    with _statements() as statements:
        page = snapshots.list_snapshots(actor, org.id)
        snapshots.set_pinned(actor, made[0].id, True)
        snapshots.list_snapshots(actor, org.id, page=2)
    assert _reads_snapshot_data(statements) == []
    assert [item.id for item in page.items] == [s.id for s in reversed(made)]
    first = next(item for item in page.items if item.id == made[0].id)
    assert (first.score, first.evidence_count, first.score_basis) == (made[0].score, made[0].evidence_count,
                                                                     made[0].score_basis)
    assert first.valid is True and first.verified_at is not None  # hashed and signed when written


def test_a_snapshot_listed_for_the_first_time_gets_its_row_once(db) -> None:
    """Snapshots written before the listing table existed: figures computed, checksum verified, once."""
    owner = make_user()
    org = make_org(owner)
    actor = actor_for(owner)
    made = snapshots.create_snapshot(actor, make_completed_audit(org, approver=owner).id)
    with session_scope() as s:
        s.execute(sa.delete(SnapshotListing))
    with _statements() as first:
        [item] = snapshots.list_snapshots(actor, org.id).items
    with _statements() as second:
        snapshots.list_snapshots(actor, org.id)
    assert len(_reads_snapshot_data(first)) == 1 and _reads_snapshot_data(second) == []
    assert (item.score, item.evidence_count, item.valid) == (made.score, made.evidence_count, True)
    assert item.verified_at is not None  # its checksum was verified with that one read


def test_verifying_records_when_and_what(db) -> None:
    owner = make_user()
    org = make_org(owner)
    actor = actor_for(owner)
    made = snapshots.create_snapshot(actor, make_completed_audit(org, approver=owner).id)
    [before] = snapshots.list_snapshots(actor, org.id).items
    assert snapshots.verify_snapshot(actor, made.id).valid
    [after] = snapshots.list_snapshots(actor, org.id).items
    assert after.valid is True and after.verified_at > before.verified_at
