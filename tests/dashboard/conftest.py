"""Dashboard fixtures: a private data directory and an organization with known audit figures."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from PIL import Image

from compliance_app.db import session_scope
from compliance_app.models import Audit, AuditStatus, Evidence, Organization, Question, User
from compliance_app.models.types import utcnow
from compliance_app.services.scoring import score_audit
from tests.factories import make_org, make_user

#: key -> (severity, provider, frameworks)
QUESTIONS = {
    "t_critical_mfa": ("critical", "github", {"SOC 2": ["CC6.1"], "CIS": ["1.5"]}),
    "t_high_logging": ("high", "aws", {"SOC 2": ["CC7.2"], "ISO 27001": ["8.15"]}),
    "t_medium_keys": ("medium", "aws", {"CIS": ["1.14"]}),
    "t_low_readme": ("low", "github", {"ISO 27001": ["5.1"]}),
}


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class Scenario:
    owner: User
    org: Organization
    old_audit: Audit
    audit: Audit
    evidence: dict[str, Evidence]


def make_questions() -> dict[str, Question]:
    with session_scope() as s:
        found = {}
        for key, (severity, provider, frameworks) in QUESTIONS.items():
            q = Question(key=key, title=key.replace("_", " ").title(), provider=provider, severity=severity,
                         frameworks=frameworks, rationale=f"Because {key}.", remediation=f"Fix {key}.")
            s.add(q)
            found[key] = q
    return found


def completed_audit(org: Organization, rows: list[tuple[Question, str, str]], *, age: timedelta,
                    by: User | None = None) -> tuple[Audit, dict[str, Evidence]]:
    """A COMPLETED audit whose score and counts follow the scoring rules (per check) for `rows`."""
    now = utcnow()
    with session_scope() as s:
        audit = Audit(organization_id=org.id, status=AuditStatus.COMPLETED, created_at=now - age,
                      finished_at=now - age + timedelta(seconds=42), triggered_by_id=by.id if by else None)
        s.add(audit)
        s.flush()
        evidence = {}
        for q, status, resource in rows:
            e = Evidence(audit_id=audit.id, question_id=q.id, status=status, resource_id=resource,
                         message=f"{q.key} {status} on {resource}", raw_data={"resource": resource, "n": 1})
            s.add(e)
            evidence[f"{q.key}:{resource}"] = e
        result = score_audit((q.key, q.severity, st, 1) for q, st, _ in rows)
        audit.score, audit.counts, audit.check_counts = result.score, result.resource_counts, result.check_counts
    return audit, evidence


@pytest.fixture
def scenario(db: str) -> Scenario:
    owner = make_user()
    org = make_org(owner)
    q = make_questions()
    old, _ = completed_audit(org, [(q["t_critical_mfa"], "FAIL", "org"), (q["t_low_readme"], "PASS", "repo-a")],
                             age=timedelta(days=1), by=None)
    audit, evidence = completed_audit(
        org,
        [
            (q["t_critical_mfa"], "PASS", "org"),
            (q["t_high_logging"], "FAIL", "trail-1"),
            (q["t_high_logging"], "FAIL", "trail-2"),
            (q["t_medium_keys"], "FAIL", "key-1"),
            (q["t_medium_keys"], "RISK_ACCEPTED", "key-2"),
            (q["t_low_readme"], "ERROR", "repo-b"),
            (q["t_low_readme"], "FAIL", "repo-a"),
        ],
        age=timedelta(minutes=5),
        by=owner,
    )
    return Scenario(owner, org, old, audit, evidence)
