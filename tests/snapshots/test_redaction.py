"""What a share link discloses: redacted by default, raw proof hidden on request, everything
only when asked; each derived copy carries its own checksum and names the original's."""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from compliance_app.api import create_api
from compliance_app.db import session_scope
from compliance_app.models import Audit, Evidence, PublicLink, User
from compliance_app.models.snapshot import LinkDisclosure
from compliance_app.services import redaction, shares, snapshots
from compliance_app.services.errors import ValidationError
from compliance_app.services.snapshot_pdf import render_snapshot_pdf
from tests.factories import actor_for, make_org, make_user
from tests.snapshots.factory import ensure_questions, make_completed_audit

#: What the raw proof of a real account names, and a share link must not show.
SECRETS = ["alice.admin", "AKIAIOSFODNN7EXAMPLE", "210987654321", "acme-corp/secret-payroll", "secret-payroll",
           "bob@acme.example", "Ada Admin", "123456789012", "logs-bucket"]  # fmt: skip


def _sensitive_audit() -> tuple[User, Audit]:
    owner = make_user(name="Ada Admin")
    org = make_org(owner, name="Acme Corp")
    audit = make_completed_audit(org, approver=owner)
    q = ensure_questions()
    with session_scope() as s:
        s.add_all([
            Evidence(audit_id=audit.id, question_id=q["aws_iam_root_mfa"], status="FAIL",
                     resource_id="arn:aws:iam::210987654321:user/alice.admin",
                     message="IAM user alice.admin has an access key (AKIAIOSFODNN7EXAMPLE) older than 90 days",
                     raw_data={"UserName": "alice.admin", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
                               "Arn": "arn:aws:iam::210987654321:user/alice.admin", "AgeDays": 200,
                               "Tags": [{"Key": "owner", "Value": "bob@acme.example"}]}),
            Evidence(audit_id=audit.id, question_id=q["github_org_2fa_required"], status="FAIL",
                     resource_id="acme-corp/secret-payroll", message="acme-corp/secret-payroll allows force pushes",
                     raw_data={"full_name": "acme-corp/secret-payroll", "private": True, "name": "secret-payroll"}),
        ])  # fmt: skip
    return owner, audit


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


@pytest.fixture
def shared(db: str) -> tuple[User, snapshots.SnapshotSummary]:
    owner, audit = _sensitive_audit()
    summary = snapshots.create_snapshot(actor_for(owner), audit.id)
    return owner, summary


def test_new_links_redact_identifiers_by_default(shared: tuple[User, snapshots.SnapshotSummary]) -> None:
    owner, summary = shared
    link, token = shares.create_link(actor_for(owner), summary.id)
    assert link.disclosure == "redact"
    found = shares.resolve_public(token)
    text = _dump(found.data)
    assert [s for s in SECRETS if s in text] == []
    # Still useful: the findings, their statuses and that two rows concern the same user.
    assert "[user-1]" in text and "AgeDays" in text and "Acme Corp" in text
    iam = next(e for e in found.data["evidence"] if "access key" in (e["message"] or ""))
    assert iam["resource_id"].count("[") >= 1 and iam["raw_data"]["UserName"] in iam["message"]
    # Its own checksum, and the original's beside it.
    assert found.checksum == snapshots.compute_checksum(found.data) != summary.checksum
    assert found.original_checksum == summary.checksum
    assert found.data["disclosure"] == {"mode": "redact", "original_checksum": summary.checksum}
    # Deterministic: the same link always serves the same copy.
    assert shares.resolve_public(token).checksum == found.checksum


def test_hide_raw_proof_keeps_results_but_no_raw_data(shared: tuple[User, snapshots.SnapshotSummary]) -> None:
    owner, summary = shared
    _link, token = shares.create_link(actor_for(owner), summary.id, disclosure="hide-raw")
    found = shares.resolve_public(token)
    assert all(e["raw_data"] is None and e["screenshot"] is None for e in found.data["evidence"])
    assert "AKIAIOSFODNN7EXAMPLE" not in _dump([e["raw_data"] for e in found.data["evidence"]])
    assert found.original_checksum == summary.checksum and found.checksum != summary.checksum


def test_full_disclosure_only_when_asked(shared: tuple[User, snapshots.SnapshotSummary]) -> None:
    owner, summary = shared
    _link, token = shares.create_link(actor_for(owner), summary.id, disclosure=LinkDisclosure.FULL)
    found = shares.resolve_public(token)
    assert found.checksum == summary.checksum and found.original_checksum is None
    assert "AKIAIOSFODNN7EXAMPLE" in _dump(found.data)
    with pytest.raises(ValidationError, match="Unknown disclosure"):
        shares.create_link(actor_for(owner), summary.id, disclosure="everything please")


def test_public_json_and_pdf_serve_the_redacted_copy(shared: tuple[User, snapshots.SnapshotSummary]) -> None:
    owner, summary = shared
    _link, token = shares.create_link(actor_for(owner), summary.id)
    client = TestClient(create_api())
    doc = client.get(f"/api/public/snapshots/{token}").json()
    canonical = json.dumps(doc["snapshot"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode()).hexdigest() == doc["checksum"]
    assert doc["original_checksum"] == summary.checksum and doc["disclosure"] == "redact"
    assert [s for s in SECRETS if s in _dump(doc)] == []
    pdf = client.get(f"/api/public/snapshots/{token}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    found = shares.resolve_public(token)
    text = _pdf_text(render_snapshot_pdf(found.data, found.checksum, "2026-12-01T00:00:00+00:00",
                                         found.original_checksum))  # fmt: skip
    assert summary.checksum in text and "identifiers redacted" in text
    assert [s for s in SECRETS if s in text] == []


def test_links_made_before_the_choice_keep_showing_everything(shared: tuple[User, snapshots.SnapshotSummary]) -> None:
    """The migration gives existing rows 'full': their readers see what they saw before."""
    owner, summary = shared
    link, token = shares.create_link(actor_for(owner), summary.id)
    with session_scope() as s:
        s.exec(select(PublicLink).where(PublicLink.id == link.id)).one().disclosure = LinkDisclosure.FULL
    assert shares.resolve_public(token).checksum == summary.checksum


def test_redaction_leaves_a_snapshot_without_identifiers_alone() -> None:
    data = {"organization": {"name": "x"}, "evidence": [], "risk_acceptances": []}
    copy = redaction.redact_identifiers(data)
    assert copy == data and copy is not data


def _pdf_text(pdf: bytes) -> str:
    """Text of a PDF through poppler's pdftotext, without layout (checksums stay on one line)."""
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
