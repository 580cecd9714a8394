"""A completed audit with questions, evidence and a risk acceptance, written with the models."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import Session, select

from compliance_app.db import session_scope
from compliance_app.models import (
    Audit,
    AuditStatus,
    Evidence,
    EvidenceStatus,
    Organization,
    Proof,
    Provider,
    Question,
    RiskAcceptanceException,
    Severity,
    User,
)
from compliance_app.models.types import utcnow

QUESTIONS = [
    ("github_org_2fa_required", "Two-factor authentication is required", Provider.GITHUB, Severity.CRITICAL,
     {"SOC 2": ["CC6.1"], "CIS": ["1.5"], "ISO 27001": ["5.17"]}),
    ("aws_s3_bucket_encrypted", "S3 buckets are encrypted at rest", Provider.AWS, Severity.HIGH,
     {"SOC 2": ["CC6.7"], "ISO 27001": ["8.24"]}),
    ("aws_iam_root_mfa", "The root account has MFA", Provider.AWS, Severity.MEDIUM,
     {"SOC 2": ["CC6.1"], "CIS": ["1.5"], "ISO 27001": ["8.5"]}),
]


def ensure_questions() -> dict[str, int]:
    with session_scope() as s:
        ids = {q.key: q.id for q in s.exec(select(Question)).all()}
        for key, title, provider, severity, frameworks in QUESTIONS:
            if key in ids:
                continue
            q = Question(key=key, title=title, provider=provider, service=key.split("_")[1],
                         severity=severity, frameworks=frameworks, remediation="Fix it.", rationale="Why.")
            s.add(q)
            s.flush()
            ids[key] = q.id
        return ids


def make_completed_audit(
    org: Organization, approver: User | None = None, status: AuditStatus = AuditStatus.COMPLETED
) -> Audit:
    """Four evidence rows (PASS, FAIL with remediation, RISK_ACCEPTED, ERROR) and one acceptance."""
    q = ensure_questions()
    now = utcnow()
    with session_scope() as s:
        audit = Audit(organization_id=org.id, status=status, score=72, started_at=now - timedelta(minutes=2),
                      finished_at=now - timedelta(minutes=1), created_at=now - timedelta(minutes=3),
                      counts={"PASS": 1, "FAIL": 1, "RISK_ACCEPTED": 1, "ERROR": 1})
        s.add(audit)
        s.flush()
        aid = audit.id
        s.add_all([
            Evidence(audit_id=aid, question_id=q["github_org_2fa_required"], status=EvidenceStatus.PASS,
                     resource_id="acme-org", message="2FA required",
                     raw_data={"two_factor_requirement": True}),
            Evidence(audit_id=aid, question_id=q["aws_s3_bucket_encrypted"], status=EvidenceStatus.FAIL,
                     resource_id="arn:aws:s3:::logs-bucket", region="eu-west-1",
                     message="No default encryption — ünïcode", raw_data={"encryption": None, "ratio": 0.5},
                     remediation_steps="Enable SSE-KMS on the bucket."),
            Evidence(audit_id=aid, question_id=q["aws_iam_root_mfa"], status=EvidenceStatus.RISK_ACCEPTED,
                     resource_id="123456789012", message="Root without MFA (accepted)",
                     raw_data={"mfa": False}, original_status=EvidenceStatus.FAIL),
            Evidence(audit_id=aid, question_id=q["aws_s3_bucket_encrypted"], status=EvidenceStatus.ERROR,
                     resource_id="arn:aws:s3:::other", message="AccessDenied", raw_data={}),
        ])
        s.add(RiskAcceptanceException(
            organization_id=org.id, question_id=q["aws_iam_root_mfa"], resource_id="123456789012",
            reason="Break-glass account kept offline", approved_by_id=approver.id if approver else None,
            created_at=now - timedelta(days=1), expires_at=now + timedelta(days=30)))
        add_proof(s, org, "aws_s3_bucket_encrypted", "arn:aws:s3:::logs-bucket",
                  f"/srv/private/evidence/{uuid.uuid4().hex}/proof.png")
    return audit


def add_proof(s: Session, org: Organization, key: str, resource_id: str, file_name: str) -> None:
    """The organization's current proof for a check and resource (once: later audits share it).

    The factory's name is a private storage path on purpose: snapshots must keep only its name.
    """
    current = s.exec(select(Proof).where(Proof.organization_id == org.id, Proof.question_key == key,
                                         Proof.resource_id == resource_id, Proof.replaced_at.is_(None))).first()
    if current is None:
        s.add(Proof(organization_id=org.id, question_key=key, resource_id=resource_id, file_name=file_name,
                    content_type="image/png", size=0, sha256="", evidence_date=utcnow().date()))
