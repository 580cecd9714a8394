"""A completed audit of a moto account, scanned by the engine from a stored AWS integration.

Two catalog checks (a public and a private bucket; moto's root without MFA) and one check
whose resource ids and messages are spreadsheet formulas.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from compliance_app.checks.base import Check, CheckMeta, Finding
from compliance_app.checks.registry import get_check
from compliance_app.models import EvidenceStatus, Organization, Provider, Severity
from compliance_app.services import integrations
from tests.checks_aws.helpers import CREDS, REGION
from tests.factories import actor_for, make_org, make_user
from tests.scans.helpers import run_stored_scan

ACCOUNT = "123456789012"
FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+SUM(1,2)", "-2+3", "@cmd", "\t=1", "\r=1"]


class FormulaCheck(Check):
    """Findings whose resource ids and messages a spreadsheet would run as formulas."""

    meta = CheckMeta(key="export_formula_probe", title="=Probe title", provider=Provider.AWS, service="probe",
                     severity=Severity.LOW, frameworks={"SOC 2": ["CC7.2"], "ISO 27001": ["8.15"]},
                     rationale="For export tests.", remediation="None needed.")

    def run(self, session: Any) -> list[Finding]:
        return [Finding(f"res-{i}{cell}", EvidenceStatus.FAIL, cell, {"cell": cell}, REGION)
                for i, cell in enumerate(FORMULAS)] + [Finding(cell, EvidenceStatus.PASS, "ok", {}, REGION)
                                                       for cell in FORMULAS[:1]]


@pytest.fixture
def scanned(db: str) -> Iterator[tuple[Organization, Any, Any]]:
    """(organization, its owner, the completed audit) after a scan of a moto account."""
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket="public-reports")
        boto3.client("s3", region_name=REGION).put_bucket_acl(Bucket="public-reports", ACL="public-read")
        boto3.client("s3", region_name=REGION).create_bucket(Bucket="private-reports")
        owner = make_user()
        org = make_org(owner)
        integrations.add_aws_integration(actor_for(owner), org.id, CREDS["access_key_id"],
                                         CREDS["secret_access_key"], None, None, [REGION], None)
        checks = [get_check("s3_bucket_public_access"), get_check("iam_root_mfa_enabled"), FormulaCheck()]
        audit = run_stored_scan(org, checks)
        yield org, owner, audit
