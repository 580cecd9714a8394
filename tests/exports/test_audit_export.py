"""Audit exports (CSV, JSON, OCSF 1.3.0) of a real scan on moto: content, safety, isolation.

The audit (tests/exports/conftest.py) comes from the engine scanning a stored AWS integration,
so the CSV guard, the account column (from the audit's scope) and the absence of the
integration's credentials are all tested on what a scan really stores.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from typer.testing import CliRunner

from compliance_app.checks.registry import get_check
from compliance_app.cli import build_app
from compliance_app.models import Role
from compliance_app.services import audit_export
from compliance_app.services.errors import NotFound, ValidationError
from tests.checks_aws.helpers import CREDS, REGION
from tests.exports.conftest import ACCOUNT
from tests.factories import actor_for, add_member, make_org, make_user
from tests.scans.helpers import evidence_of


def _export(owner: Any, audit: Any, fmt: str) -> str:
    return audit_export.export_audit(actor_for(owner), audit.id, fmt).body


def test_csv_has_one_row_per_evidence_row_with_its_check_and_account(scanned: tuple) -> None:
    _org, owner, audit = scanned
    rows = list(csv.DictReader(io.StringIO(_export(owner, audit, "csv"))))
    assert tuple(rows[0]) == audit_export.CSV_COLUMNS
    assert len(rows) == len(evidence_of(audit.id))
    public = next(r for r in rows if r["resource_id"].endswith("public-reports"))
    assert (public["check_key"], public["severity"], public["status"], public["check_result"]) == (
        "s3_bucket_public_access", "critical", "FAIL", "FAIL")
    assert public["region"] == REGION and public["account"] == ACCOUNT and public["provider"] == "aws"
    assert public["check_title"] == get_check("s3_bucket_public_access").meta.title
    assert "SOC 2 CC6.6" in public["frameworks"] and "ISO 27001 8.3" in public["frameworks"]
    private = next(r for r in rows if r["resource_id"].endswith("private-reports"))
    assert (private["status"], private["check_result"]) == ("PASS", "FAIL")  # the check fails as a whole


def test_csv_cells_never_start_a_formula(scanned: tuple) -> None:
    _org, owner, audit = scanned
    text = _export(owner, audit, "csv")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in cells and "'+SUM(1,2)" in cells and "'@cmd" in cells
    assert "'=Probe title" in cells and "'\t=1" in cells
    assert audit_export.safe_cell("plain-1") == "plain-1" and audit_export.safe_cell(None) == ""


def test_json_has_metadata_per_check_results_and_evidence(scanned: tuple) -> None:
    org, owner, audit = scanned
    doc = json.loads(_export(owner, audit, "json"))
    assert doc["organization"] == {"id": str(org.id), "slug": org.slug, "name": org.name}
    assert doc["audit"]["audit_id"] == str(audit.id) and doc["audit"]["status"] == "COMPLETED"
    assert doc["audit"]["finished_at"].endswith("Z") and doc["audit"]["scope"][next(iter(audit.scope))]
    results = {c["question_key"]: c["result"] for c in doc["checks"]}
    assert results == {"s3_bucket_public_access": "FAIL", "iam_root_mfa_enabled": "FAIL",
                       "export_formula_probe": "FAIL"}
    assert len(doc["evidence"]) == len(evidence_of(audit.id))
    public = next(e for e in doc["evidence"] if e["resource_id"].endswith("public-reports"))
    assert public["raw_data"] and public["account"] == ACCOUNT and public["check_result"] == "FAIL"


def test_no_export_carries_the_integrations_credentials(scanned: tuple) -> None:
    _org, owner, audit = scanned
    for fmt in audit_export.FORMATS:
        text = _export(owner, audit, fmt)
        assert CREDS["secret_access_key"] not in text and CREDS["access_key_id"] not in text, fmt


def test_unknown_format_is_refused_before_reading_anything(scanned: tuple) -> None:
    _org, owner, audit = scanned
    with pytest.raises(ValidationError, match="Unknown export format 'xlsx': choose csv, json or ocsf"):
        audit_export.export_audit(actor_for(owner), audit.id, "xlsx")
    assert audit_export.check_format(" OCSF ") == "ocsf"


def test_other_organizations_member_gets_not_found_viewer_may_export(scanned: tuple) -> None:
    org, _owner, audit = scanned
    stranger = make_user()
    make_org(stranger)
    with pytest.raises(NotFound):
        audit_export.export_audit(actor_for(stranger), audit.id, "csv")
    with pytest.raises(NotFound):
        audit_export.export_audit(actor_for(stranger), "not-a-uuid", "csv")
    viewer = add_member(org, role=Role.VIEWER)
    assert audit_export.export_audit(actor_for(viewer), audit.id, "json").filename == f"audit-{audit.id}.json"


def test_cli_writes_the_file_and_refuses_a_bad_format_with_exit_2(scanned: tuple, tmp_path: Any) -> None:
    _org, _owner, audit = scanned
    out = tmp_path / "audit.ocsf.json"
    runner = CliRunner()
    result = runner.invoke(build_app(), ["audit", "export", str(audit.id), "--format", "ocsf", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))[0]["class_uid"] == 2003
    printed = runner.invoke(build_app(), ["audit", "export", str(audit.id), "--format", "csv"])
    assert printed.exit_code == 0 and printed.stdout.startswith(",".join(audit_export.CSV_COLUMNS))
    bad = runner.invoke(build_app(), ["audit", "export", str(audit.id), "--format", "pdf"])
    assert bad.exit_code == 2 and "Unknown export format 'pdf': choose csv, json or ocsf" in bad.stderr
    missing_dir = runner.invoke(build_app(), ["audit", "export", str(audit.id), "--format", "csv",
                                              "--output", str(tmp_path / "no" / "such" / "dir.csv")])
    assert missing_dir.exit_code == 1 and "cannot write" in missing_dir.stderr
