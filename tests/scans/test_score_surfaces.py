"""The score of any audit equals the one function's result on every surface (DESIGN.md §4).

Hypothesis draws an audit (checks of random severities, each with resources of random
statuses), the real engine runs it to completion, and every place that shows the score is
compared with scoring.score_audit over the drawn rows: the stored audit and its ScanHistory
point, the dashboard, the audits list, the audit page's check rows, the home page, the
CLI's JSON (`audit show`), a new snapshot's data and its PDF text.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from compliance_app.checks.base import Check, Finding
from compliance_app.db import session_scope
from compliance_app.models import EvidenceStatus, ScanHistory, Severity
from compliance_app.services import check_results, dashboard, overview, snapshots
from compliance_app.services.scoring import score_audit
from compliance_app.services.snapshot_pdf import render_snapshot_pdf
from tests.conftest import run_cli
from tests.factories import actor_for, make_org, make_user
from tests.scans.fake_checks import fake_meta
from tests.scans.helpers import run_scan


class _Scripted(Check):
    """A check that reports the drawn statuses, one resource each."""

    def __init__(self, key: str, severity: Severity, statuses: list[EvidenceStatus]) -> None:
        self.meta = dataclasses.replace(fake_meta(key, severity), title=f"Check {key}")
        self.statuses = statuses

    def run(self, session: Any) -> list[Finding]:
        return [Finding(f"{self.meta.key}-r{i}", s, f"resource {i} is {s}") for i, s in enumerate(self.statuses)]


audits = st.dictionaries(
    st.sampled_from([f"surface_check_{i}" for i in range(6)]),
    st.tuples(st.sampled_from(list(Severity)), st.lists(st.sampled_from(list(EvidenceStatus)), min_size=1,
                                                         max_size=12)),
    min_size=1,
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(audits)
def test_every_surface_shows_the_one_functions_score(db: str, monkeypatch, capsys, tmp_path, drawn) -> None:
    run = uuid.uuid4().hex[:8]  # questions persist across examples: fresh keys keep drawn severities
    drawn = {f"{key}_{run}": value for key, value in drawn.items()}
    expected = score_audit(
        (key, severity, status, 1) for key, (severity, statuses) in drawn.items() for status in statuses
    )
    owner = make_user()
    org = make_org(owner)
    me = actor_for(owner)
    audit = run_scan(org, checks=[_Scripted(k, sev, sts) for k, (sev, sts) in drawn.items()])

    assert audit.score == expected.score
    assert audit.check_counts == expected.check_counts and audit.counts == expected.resource_counts
    with session_scope() as s:
        history = s.exec(select(ScanHistory).where(ScanHistory.audit_id == audit.id)).one()
    assert history.score == expected.score
    assert (history.total_pass, history.total_fail, history.total_error) == tuple(
        expected.check_counts[k] for k in ("PASS", "FAIL", "ERROR"))

    summary = dashboard.dashboard_summary(me, org.id)
    if expected.score is not None:  # the dashboard shows the latest *scored* audit
        assert summary.score == expected.score and summary.scored_text == expected.scored_text
    [row] = dashboard.list_audit_rows(me, org.id).items
    assert (row.score, row.scored_text) == (expected.score, expected.scored_text)
    assert dashboard.audit_overview(me, audit.id).score == expected.score
    listed = check_results.list_check_results(me, audit.id, page_size=50).items
    assert sorted((r.question_key, r.result) for r in listed) == sorted((c.key, c.result) for c in expected.checks)
    [home] = overview.list_organization_summaries(me)
    assert (home.latest_score, home.latest_scored) == (expected.score, expected.scored_text)

    code, out, err = run_cli(monkeypatch, capsys, "audit", "show", str(audit.id), "--json")
    assert code == 0, err
    shown = json.loads(out)["audit"]
    assert (shown["score"], shown["checks"], shown["scored"]) == (
        expected.score, expected.check_counts, expected.scored_text)

    snap = snapshots.get_snapshot(me, snapshots.create_snapshot(me, audit.id).id)
    assert snap.data["audit"]["score"] == expected.score
    assert snap.data["audit"]["check_counts"] == expected.check_counts
    pdf = tmp_path / "surface.pdf"
    pdf.write_bytes(render_snapshot_pdf(snap.data, snap.checksum, snap.created_at.isoformat()))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert ("Score: —" if expected.score is None else f"Score: {expected.score}/100") in text
    assert expected.scored_text in text
