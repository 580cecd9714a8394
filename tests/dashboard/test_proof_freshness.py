"""Proof as an organization-level record and a proof file deleted behind the app's back:
carried into later audits, dated, expiring, stale, missing."""

from __future__ import annotations

import hashlib
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from compliance_app.api import create_api
from compliance_app.api.session_cookie import COOKIE_NAME
from compliance_app.db import session_scope
from compliance_app.models import Evidence, Proof, Question
from compliance_app.models.types import utcnow
from compliance_app.pages.audit_detail.state import evidence_view
from compliance_app.pages.dashboard.state import proof_rows
from compliance_app.pages.share import build_sections
from compliance_app.services import accounts, dashboard, proof, scans, snapshots
from compliance_app.services.errors import Conflict, FileMissing, ValidationError
from compliance_app.services.evidence_files import PROOF_MISSING, open_evidence_file, save_evidence_file
from compliance_app.services.snapshot_pdf import render_snapshot_pdf
from tests.dashboard.conftest import Scenario, png_bytes
from tests.factories import DEFAULT_PASSWORD, actor_for

TODAY = date(2026, 12, 2)


# --- the rules, as pure functions ----------------------------------------------------------
def test_expiry_is_the_evidence_date_plus_the_validity_and_expiring_means_within_30_days() -> None:
    assert proof.expires_on(date(2026, 1, 1), 365) == date(2027, 1, 1)
    assert proof.freshness(TODAY + timedelta(days=31), TODAY) == proof.Freshness.CURRENT
    assert proof.freshness(TODAY + timedelta(days=30), TODAY) == proof.Freshness.EXPIRING
    assert proof.freshness(TODAY + timedelta(days=1), TODAY) == proof.Freshness.EXPIRING
    assert proof.freshness(TODAY, TODAY) == proof.Freshness.STALE  # valid until, not through, that day
    assert proof.valid_days_for("not_in_the_catalog") == 365


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-13-40", "Enter the evidence date as a date (YYYY-MM-DD)."),
        ("yesterday", "Enter the evidence date as a date (YYYY-MM-DD)."),
        ("2026-12-03", "The evidence date cannot be in the future"),
        ("1999-12-31", "The evidence date must be in 2000 or later."),
    ],
)
def test_bad_evidence_dates_are_refused_with_a_clear_message(value: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        proof.parse_evidence_date(value, TODAY)
    assert info.value.message.startswith(message) and info.value.field == "evidence_date"


def test_no_evidence_date_means_today_and_2000_is_accepted() -> None:
    assert proof.parse_evidence_date(None, TODAY) == TODAY
    assert proof.parse_evidence_date("", TODAY) == TODAY
    assert proof.parse_evidence_date(" 2000-01-01 ", TODAY) == date(2000, 1, 1)


# --- carried into later audits ---------------------------------------------------------------
def _old_evidence(scenario: Scenario, key: str, resource: str) -> int:
    with session_scope() as s:
        return s.exec(
            select(Evidence.id).join(Question, Question.id == Evidence.question_id)
            .where(Evidence.audit_id == scenario.old_audit.id, Question.key == key, Evidence.resource_id == resource)
        ).one()


def _days_ago(n: int) -> str:
    return (utcnow().date() - timedelta(days=n)).isoformat()


def test_proof_uploaded_on_one_audit_is_shown_by_the_next_one(scenario: Scenario, data_dir: Path) -> None:
    owner = actor_for(scenario.owner)
    old_id = _old_evidence(scenario, "t_low_readme", "repo-a")
    stored = save_evidence_file(owner, old_id, png_bytes(), "readme.png", _days_ago(10))
    newer = scenario.evidence["t_low_readme:repo-a"]

    rows = {r.id: r for r in scans.list_evidence(owner, scenario.audit.id).items}
    assert rows[newer.id].screenshot == stored.name
    assert rows[newer.id].proof_date == _days_ago(10)
    assert rows[newer.id].proof_expires_on == (utcnow().date() + timedelta(days=355)).isoformat()
    # Another resource of the same check has no proof: proof is per check AND resource.
    assert rows[scenario.evidence["t_low_readme:repo-b"].id].screenshot is None
    assert open_evidence_file(owner, newer.id).path.read_bytes() == png_bytes()

    view = evidence_view(dashboard.get_evidence_detail(owner, newer.id))
    assert view["has_file"] and view["file_is_image"] and view["proof_state"] == "current"
    assert view["proof_dates"].startswith(f"Dated {_days_ago(10)} · valid until ")
    assert not view["proof_missing"]


def test_bad_evidence_date_writes_nothing(scenario: Scenario, data_dir: Path) -> None:
    evidence_id = scenario.evidence["t_high_logging:trail-1"].id
    with pytest.raises(ValidationError, match="cannot be in the future"):
        save_evidence_file(actor_for(scenario.owner), evidence_id, png_bytes(), "x.png", _days_ago(-1))
    with session_scope() as s:
        assert s.exec(select(Proof)).all() == []
    assert not (data_dir / "evidence").exists() or list((data_dir / "evidence").iterdir()) == []


def test_upload_route_takes_the_evidence_date_and_explains_a_bad_one(scenario: Scenario, data_dir: Path) -> None:
    evidence_id = scenario.evidence["t_high_logging:trail-1"].id
    url = f"/api/evidence/{evidence_id}/file"
    _user, token = accounts.authenticate(scenario.owner.email, DEFAULT_PASSWORD, "127.0.0.1")
    with TestClient(create_api(), base_url="http://testserver", headers={"origin": "http://testserver"}) as client:
        client.cookies.set(COOKIE_NAME, token)
        file = {"file": ("a.png", png_bytes(), "image/png")}
        r = client.post(url, files=file, data={"evidence_date": "31/12/2025"})
        assert r.status_code == 400 and r.json()["error"] == "Enter the evidence date as a date (YYYY-MM-DD)."
        r = client.post(url, files=file, data={"evidence_date": "1999-05-01"})
        assert r.status_code == 400 and "2000 or later" in r.json()["error"]
        r = client.post(url, files=file, data={"evidence_date": _days_ago(3)})
        assert r.status_code == 201 and f"dated {_days_ago(3)}" in r.json()["message"]
    with session_scope() as s:
        (stored,) = s.exec(select(Proof)).all()
        assert stored.evidence_date.isoformat() == _days_ago(3) and stored.uploaded_by_id == scenario.owner.id
        assert stored.valid_days == 365 and len(stored.sha256) == 64 and stored.size == len(png_bytes())


# --- expiring and stale on the dashboard -----------------------------------------------------
def test_dashboard_lists_stale_and_expiring_proof_soonest_first(scenario: Scenario, data_dir: Path) -> None:
    owner = actor_for(scenario.owner)
    assert dashboard.dashboard_summary(owner, scenario.org.id).proof_due == []  # the empty state
    ev = scenario.evidence
    save_evidence_file(owner, ev["t_high_logging:trail-1"].id, png_bytes(), "a.png", _days_ago(10))  # current
    save_evidence_file(owner, ev["t_high_logging:trail-2"].id, png_bytes(), "b.png", _days_ago(350))  # expiring
    save_evidence_file(owner, ev["t_medium_keys:key-1"].id, png_bytes(), "c.png", _days_ago(400))  # stale

    due = dashboard.dashboard_summary(owner, scenario.org.id).proof_due
    assert [(d.question_key, d.resource_id, d.state) for d in due] == [
        ("t_medium_keys", "key-1", "stale"), ("t_high_logging", "trail-2", "expiring")]
    rows = proof_rows(due, utcnow().date())
    assert rows[0]["expiry"] == f"Stale since {(utcnow().date() - timedelta(days=35)).isoformat()}"
    assert rows[1]["expiry"].endswith("(in 15 days)") and rows[1]["title"] == "T High Logging"

    # A newer upload replaces the stale proof: it leaves the list, the old record stays (replaced).
    save_evidence_file(owner, ev["t_medium_keys:key-1"].id, png_bytes(), "c2.png", _days_ago(1))
    due = dashboard.dashboard_summary(owner, scenario.org.id).proof_due
    assert [d.resource_id for d in due] == ["trail-2"]
    with session_scope() as s:
        assert len(s.exec(select(Proof).where(Proof.resource_id == "key-1")).all()) == 2


# --- a proof file deleted from disk behind the app's back --------------------------------------
def test_a_deleted_proof_file_is_reported_not_a_crash(scenario: Scenario, data_dir: Path) -> None:
    owner = actor_for(scenario.owner)
    evidence_id = scenario.evidence["t_high_logging:trail-1"].id
    stored = save_evidence_file(owner, evidence_id, png_bytes(), "a.png", _days_ago(2))
    (data_dir / "evidence" / stored.name).unlink()

    with pytest.raises(FileMissing) as info:
        open_evidence_file(owner, evidence_id)
    assert str(info.value) == PROOF_MISSING and "missing on the server" in PROOF_MISSING
    view = evidence_view(dashboard.get_evidence_detail(owner, evidence_id))
    assert view["proof_missing"] and not view["has_file"] and view["proof_state"] == "current"

    _user, token = accounts.authenticate(scenario.owner.email, DEFAULT_PASSWORD, "127.0.0.1")
    with TestClient(create_api(), base_url="http://testserver") as client:
        assert client.get(f"/api/evidence/{evidence_id}/file").status_code == 404  # anonymous learns nothing
        client.cookies.set(COOKIE_NAME, token)
        r = client.get(f"/api/evidence/{evidence_id}/file")
    assert r.status_code == 410 and r.text == PROOF_MISSING

    summary = snapshots.create_snapshot(owner, scenario.audit.id)
    data = snapshots.get_snapshot(owner, summary.id).data
    (row,) = [e for e in data["evidence"] if e["resource_id"] == "trail-1"]
    assert row["screenshot"] == stored.name and row["screenshot_sha256"] is None and row["proof_file_missing"]
    assert row["proof_date"] == _days_ago(2)
    assert snapshots.verify_snapshot(owner, summary.id).valid
    assert "the file was missing on the server" in _share_proof_texts(data["evidence"])["trail-1"]


def test_snapshot_share_page_and_pdf_show_each_proofs_date(scenario: Scenario, data_dir: Path) -> None:
    owner = actor_for(scenario.owner)
    stored = save_evidence_file(owner, scenario.evidence["t_high_logging:trail-1"].id, png_bytes(), "a.png",
                                "2026-03-01")
    summary = snapshots.create_snapshot(owner, scenario.audit.id)
    data = snapshots.get_snapshot(owner, summary.id).data
    assert data["format"] == "compliance_app.snapshot/3"
    by_resource = {e["resource_id"]: e for e in data["evidence"]}
    row = by_resource["trail-1"]
    assert (row["screenshot"], row["proof_date"], row["proof_expires_on"]) == (stored.name, "2026-03-01",
                                                                                "2027-03-01")
    assert row["screenshot_sha256"] == proof_sha(stored.name, data_dir) and not row["proof_file_missing"]
    assert by_resource["trail-2"]["screenshot"] is None and by_resource["trail-2"]["proof_date"] is None
    shown = _share_proof_texts(data["evidence"])
    assert shown["trail-1"] == "Proof dated 2026-03-01, valid until 2027-03-01" and shown["trail-2"] == ""
    # A row frozen before proof had dates (format 2) still says it had a file.
    assert proof.frozen_proof_text({"screenshot": "ab.png"}) == "Proof file attached (date not recorded)"
    pdf = render_snapshot_pdf(data, summary.checksum, "2026-12-02T00:00:00+00:00")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Uploaded proof (1)" in text and "Proof dated 2026-03-01, valid until 2027-03-01" in text


def proof_sha(name: str, data_dir: Path) -> str:
    return hashlib.sha256((data_dir / "evidence" / name).read_bytes()).hexdigest()


def _share_proof_texts(evidence: list[dict]) -> dict[str, str]:
    """resource id -> the proof line the share page shows for it."""
    return {r.resource_id: r.proof for section in build_sections(evidence) for g in section.groups for r in g.rows}


def test_simultaneous_uploads_leave_one_current_proof_and_no_orphan_file(scenario: Scenario, data_dir: Path) -> None:
    owner = actor_for(scenario.owner)
    evidence_id = scenario.evidence["t_high_logging:trail-1"].id

    def upload(i: int) -> str:
        try:
            save_evidence_file(owner, evidence_id, png_bytes((10 + i, 10)), f"{i}.png")
        except Conflict as exc:
            assert "uploaded at the same moment" in exc.message
            return "conflict"
        return "stored"

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(upload, range(4)))
    assert "stored" in outcomes
    with session_scope() as s:
        rows = s.exec(select(Proof)).all()
    assert len([p for p in rows if p.replaced_at is None]) == 1
    assert outcomes.count("stored") == len(rows)
    assert sorted(p.name for p in (data_dir / "evidence").iterdir()) == sorted(p.file_name for p in rows)
