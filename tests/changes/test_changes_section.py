""""Since the last scan" rows on the dashboard and the audit page, from a stored change document."""

from __future__ import annotations

from compliance_app.components.changes import change_rows, resource_rows, since_last_scan
from compliance_app.services.audit_diff import build_states, diff_states


def _changes() -> dict:
    before = build_states([("a", "Check A", "critical", None, None, "r1", "PASS"),
                           ("b", "Check B", "high", None, None, "r1", "FAIL"),
                           ("c", "Check C", "low", None, "eu-west-1", "r1", "FAIL"),
                           ("gone", "Gone", "medium", None, None, "r1", "PASS")])
    after = build_states([("a", "Check A", "critical", None, None, "r1", "FAIL"),
                          ("b", "Check B", "high", None, None, "r1", "ERROR"),
                          ("c", "Check C", "low", None, "eu-west-1", "r2", "FAIL"),
                          ("new", "New", "low", None, None, "r1", "FAIL")])
    return {"audit_id": "x", "previous_audit_id": "y", **diff_states(after, before, 0, 40)}


def test_rows_say_what_each_check_was() -> None:
    rows = change_rows(_changes())
    assert [(r["label"], r["key"], r["was"]) for r in rows] == [
        ("Started failing", "a", "was Pass"),
        ("Started failing", "new", "new check"),
        ("Could not run", "b", "was Fail"),
        ("No longer in scope", "gone", "was Pass · not checked this time"),
    ]
    # a check that started failing names its failing resources too
    assert resource_rows(_changes()) == [
        {"key": "a", "title": "Check A", "text": "newly failing: r1"},
        {"key": "c", "title": "Check C", "text": "newly failing: r2 [eu-west-1]; no longer in scope: r1 [eu-west-1]"}]


def test_section_builds() -> None:
    assert since_last_scan() is not None
