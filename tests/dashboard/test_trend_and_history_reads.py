"""score_trend reads only the plotted columns; ScanHistory is indexed by audit."""

from __future__ import annotations

import sqlalchemy as sa

from compliance_app.db import get_engine
from compliance_app.services import dashboard
from tests.factories import actor_for, make_org, make_user


def test_scan_history_is_indexed_by_audit(db) -> None:
    indexes = sa.inspect(get_engine()).get_indexes("scan_history")
    assert any(ix["column_names"] == ["audit_id"] for ix in indexes)


def test_score_trend_selects_only_what_it_plots(db) -> None:
    owner = make_user()
    org = make_org(owner)
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    sa.event.listen(get_engine(), "before_cursor_execute", record)
    try:
        dashboard.score_trend(actor_for(owner), org.id, 30)
    finally:
        sa.event.remove(get_engine(), "before_cursor_execute", record)
    [query] = [q for q in seen if "FROM scan_history" in q]
    assert "scan_history.updated_at" not in query and "scan_history.audit_id" not in query
    assert "scan_history.total_fail" in query
