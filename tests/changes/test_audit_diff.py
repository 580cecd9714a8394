"""Audit diff: computed once at completion, against the previous completed audit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from compliance_app.db import session_scope
from compliance_app.models import Audit, AuditStatus, Evidence, EvidenceStatus, Role, Severity
from compliance_app.models.types import utcnow
from compliance_app.services import audit_diff, risk
from compliance_app.services.authz import Actor
from compliance_app.services.errors import NotFound, ValidationError
from tests.changes.scripted import scan_with
from tests.conftest import run_cli
from tests.factories import actor_for, add_member, make_org, make_user

CRIT, HIGH, MED, LOW = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW
P, F, E = "PASS", "FAIL", "ERROR"

BEFORE = {
    "starts_failing": (CRIT, [("repo-a", P)]),
    "gets_fixed": (HIGH, [("repo-a", F)]),
    "loses_access": (HIGH, [("repo-a", F)]),
    "leaves_catalog": (MED, [("repo-a", F)]),
    "nothing_left": (LOW, [("bucket-1", F)]),
    "mixed": (MED, [("r1", F), ("r2", P), ("r3", F), ("r4", P)]),
    "accepted_between": (HIGH, [("root", F)]),
    "steady": (LOW, [("repo-a", P)]),
}
AFTER = {
    "starts_failing": (CRIT, [("repo-a", F)]),
    "gets_fixed": (HIGH, [("repo-a", P)]),
    "loses_access": (HIGH, "unreadable"),
    "nothing_left": (LOW, []),
    "mixed": (MED, [("r1", P), ("r2", F), ("r4", P), ("r5", F)]),
    "accepted_between": (HIGH, [("root", F)]),
    "steady": (LOW, [("repo-a", P)]),
    "added_to_catalog": (HIGH, [("repo-a", F)]),
}


def keys(entries: list[dict]) -> list[str]:
    return [e["key"] for e in entries]


def test_crafted_pair_every_kind_of_change_stored_at_completion(db: str) -> None:
    org = make_org()
    first = scan_with(org, BEFORE)
    assert first.changes is not None and first.changes["previous_audit_id"] is None
    assert audit_diff.summary_line(first.changes) == "First scan: nothing to compare with yet."
    risk.accept_risk(Actor.system(), org.id, "accepted_between", "Break-glass only", utcnow() + timedelta(days=30))

    second = scan_with(org, AFTER)

    changes = second.changes  # stored on the audit by audit_queue.complete
    assert changes["previous_audit_id"] == str(first.id) and changes["audit_id"] == str(second.id)
    checks = changes["checks"]
    # worst severity first; a check new in the catalog that fails is a new failure, marked as added
    assert keys(checks["started_failing"]) == ["starts_failing", "added_to_catalog"]
    assert checks["started_failing"][0]["previous"] == P and checks["started_failing"][1]["previous"] is None
    assert keys(checks["added"]) == ["added_to_catalog"]
    assert keys(checks["fixed"]) == ["gets_fixed"]
    # a risk acceptance in between is not a fix
    assert keys(checks["accepted"]) == ["accepted_between"]
    assert (checks["accepted"][0]["previous"], checks["accepted"][0]["current"]) == (F, "RISK_ACCEPTED")
    # losing read access is not an improvement: listed as could not run, with what it was
    assert [(c["key"], c["previous"], c["current"]) for c in checks["could_not_run"]] == [("loses_access", F, E)]
    # gone from scope is told apart from fixed, with the reason
    assert [(c["key"], c["reason"]) for c in checks["out_of_scope"]] == [
        ("leaves_catalog", "not checked this time"), ("nothing_left", "nothing in scope any more")]
    assert "leaves_catalog" not in keys(checks["fixed"]) and "nothing_left" not in keys(checks["fixed"])
    # resources inside a check that failed both times
    mixed = next(r for r in changes["resources"] if r["key"] == "mixed")
    assert mixed["newly_failing"] == {"count": 2, "items": ["r2", "r5"]}
    assert mixed["fixed"] == {"count": 1, "items": ["r1"]}
    assert mixed["out_of_scope"] == {"count": 1, "items": ["r3"]}
    assert (mixed["previous"], mixed["current"], mixed["failing"], mixed["total"]) == (F, F, 2, 4)
    assert changes["score"] == {"previous": first.score, "current": second.score,
                                "change": second.score - first.score}
    assert changes["changed"] is True
    line = audit_diff.summary_line(changes)
    assert line.startswith("2 checks started failing; 1 check fixed; 1 check accepted as a risk; ")
    assert f"score {first.score} → {second.score}" in line
    # resources are counted apart only for checks the line does not already name (here: mixed)
    assert "; resources changed in 1 check; " in line


def test_an_unchanged_scan_is_marked_unchanged(db: str) -> None:
    org = make_org()
    scan_with(org, BEFORE)
    again = scan_with(org, BEFORE)
    assert again.changes["changed"] is False
    assert all(not v for k, v in again.changes["checks"].items() if k != "could_not_run")
    assert again.changes["resources"] == [] and again.changes["score"]["change"] == 0
    assert audit_diff.summary_line(again.changes) == "No change since the last scan."


def test_a_check_still_unreadable_is_listed_but_is_no_change(db: str) -> None:
    org = make_org()
    scan_with(org, {"c": (HIGH, "unreadable"), "d": (LOW, [("x", P)])})
    again = scan_with(org, {"c": (HIGH, "unreadable"), "d": (LOW, [("x", P)])})
    assert keys(again.changes["checks"]["could_not_run"]) == ["c"]
    assert again.changes["changed"] is False


def test_resources_of_two_accounts_do_not_collide() -> None:
    before = audit_diff.build_states([("k", "K", "high", "acct-1", "eu-west-1", "bucket", F),
                                      ("k", "K", "high", "acct-2", "eu-west-1", "bucket", P)])
    after = audit_diff.build_states([("k", "K", "high", "acct-1", "eu-west-1", "bucket", P),
                                     ("k", "K", "high", "acct-2", "eu-west-1", "bucket", F)])
    changes = audit_diff.diff_states(after, before, 50, 50)
    (entry,) = changes["resources"]
    assert entry["newly_failing"]["count"] == 1 and entry["fixed"]["count"] == 1
    assert entry["fixed"]["items"] == ["bucket [eu-west-1]"]


def test_long_resource_lists_are_capped_with_the_full_count() -> None:
    before = audit_diff.build_states([("k", "K", "low", None, None, f"r{i:04}", P) for i in range(1300)])
    after = audit_diff.build_states([("k", "K", "low", None, None, f"r{i:04}", F) for i in range(1300)])
    (entry,) = audit_diff.diff_states(after, before, 0, 100)["resources"]
    assert entry["newly_failing"]["count"] == 1300
    assert len(entry["newly_failing"]["items"]) == audit_diff.MAX_RESOURCES


def test_service_reads_compare_and_refuse_other_organizations(db: str) -> None:
    owner = make_user()
    org = make_org(owner=owner)
    viewer = add_member(org, make_user(), role=Role.VIEWER)
    first = scan_with(org, BEFORE)
    second = scan_with(org, AFTER)
    third = scan_with(org, AFTER)
    assert audit_diff.get_audit_changes(actor_for(viewer), third.id)["previous_audit_id"] == str(second.id)
    # any two audits: first -> third is the same change as first -> second (second -> third changed nothing)
    compared = audit_diff.compare_audits(actor_for(viewer), first.id, third.id)
    assert compared["checks"] == second.changes["checks"] and compared["previous_audit_id"] == str(first.id)
    assert audit_diff.latest_changes(actor_for(viewer), org.id)["audit_id"] == str(third.id)

    other_owner = make_user()
    other = make_org(owner=other_owner)
    elsewhere = scan_with(other, BEFORE)
    with pytest.raises(NotFound):
        audit_diff.compare_audits(actor_for(viewer), first.id, elsewhere.id)
    add_member(other, viewer, role=Role.VIEWER)
    with pytest.raises(ValidationError, match="different organizations"):
        audit_diff.compare_audits(actor_for(viewer), first.id, elsewhere.id)


def test_audits_that_did_not_complete_are_refused_and_older_audits_computed_when_read(db: str) -> None:
    org = make_org()
    first = scan_with(org, BEFORE)
    second = scan_with(org, AFTER)
    with session_scope() as s:  # an audit completed before changes were recorded
        s.get(Audit, second.id).changes = None
        pending = Audit(organization_id=org.id, status=AuditStatus.PENDING)
        s.add(pending)
    assert audit_diff.get_audit_changes(Actor.system(), second.id)["checks"] == second.changes["checks"]
    with pytest.raises(ValidationError, match="only completed audits"):
        audit_diff.get_audit_changes(Actor.system(), pending.id)
    with pytest.raises(ValidationError, match="only completed audits"):
        audit_diff.compare_audits(Actor.system(), first.id, pending.id)


def test_cli_audit_diff(db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    org = make_org()
    first = scan_with(org, BEFORE)
    second = scan_with(org, AFTER)

    code, out, err = run_cli(monkeypatch, capsys, "audit", "diff", str(second.id), "--json")
    assert code == 0, err
    assert json.loads(out)["checks"]["fixed"][0]["key"] == "gets_fixed"

    code, out, err = run_cli(monkeypatch, capsys, "audit", "diff", str(second.id))
    assert code == 0, err
    assert out.splitlines()[0].startswith(f"audit {second.id} since {first.id}: 2 checks started failing")
    assert "  started failing  critical  starts_failing" in out
    assert "  fixed            high      gets_fixed" in out
    assert "    mixed: newly failing r2, r5; fixed r1; no longer in scope r3" in out

    code, out, err = run_cli(monkeypatch, capsys, "audit", "diff", str(first.id), str(second.id), "--json")
    assert code == 0, err
    assert json.loads(out)["previous_audit_id"] == str(first.id)

    elsewhere = scan_with(make_org(), BEFORE)
    code, out, err = run_cli(monkeypatch, capsys, "audit", "diff", str(first.id), str(elsewhere.id))
    assert code == 1 and out == ""
    assert err.strip() == ("error: These two audits belong to different organizations; only audits of one "
                           "organization can be compared.")


def test_a_risk_accepted_on_the_latest_audit_updates_its_changes(db: str) -> None:
    org = make_org()
    scan_with(org, {"k": (HIGH, [("repo-a", P)]), "steady": (LOW, [("x", P)])})
    second = scan_with(org, {"k": (HIGH, [("repo-a", F)]), "steady": (LOW, [("x", P)])})
    assert keys(second.changes["checks"]["started_failing"]) == ["k"]
    with session_scope() as s:
        evidence_id = s.exec(select(Evidence.id).where(Evidence.audit_id == second.id,
                                                       Evidence.status == EvidenceStatus.FAIL)).one()
    risk.accept_risk_for_evidence(Actor.system(), evidence_id, "Compensating control", utcnow() + timedelta(days=9))
    with session_scope() as s:
        changes = s.get(Audit, second.id).changes
    assert changes["checks"]["started_failing"] == []
    assert changes["score"]["current"] == 100 and changes["score"]["change"] == 0
