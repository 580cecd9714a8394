"""An audit exported for the tools auditors and security teams already use: CSV, JSON, OCSF.

- CSV: one row per evidence row (resource) with its check, the check's rolled-up result,
  the resource, region, account, status, message and framework mappings; spreadsheet
  formulas are neutralised (a cell starting with = + - @ tab or CR gets a leading ').
- JSON: the audit's metadata, its per-check results and every evidence row.
- OCSF: Open Cybersecurity Schema Framework 1.3.0 Compliance Finding events (class_uid 2003,
  category Findings): one per evidence row, plus one per check carrying its rolled-up result.

Every evidence row also says what proof stands behind it: the organization's current proof
for its check and resource (as the audit page shows it), with the stored file's name (random,
never the uploader's own), the evidence date the uploader gave, the day it goes stale, its
state on the export's date, the SHA-256 recorded at upload and whether the file is still on
the server. Never the file's bytes: the auditor downloads those from the app.

Reading an export is reading the audit: any member of the audit's organization may, anyone
else gets the same "not found" as for a missing audit. raw_data is exported as stored; the
checks store only the trimmed API data that decided a result, never credentials, and an
integration's secrets are not part of an audit at all.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from compliance_app import __version__
from compliance_app.db import session_scope
from compliance_app.models import Audit, Evidence, Organization, Proof, Question
from compliance_app.models.types import utcnow
from compliance_app.services.authz import Actor, Permission
from compliance_app.services.check_results import CheckRow, audit_score, check_rows
from compliance_app.services.errors import ValidationError
from compliance_app.services.proof import current_proofs, expires_on, file_present, freshness
from compliance_app.services.scans import access_audit, audit_summary
from compliance_app.timestamps import iso_utc

FORMATS = ("csv", "json", "ocsf")
PRODUCT = "compliance_app"
OCSF_VERSION = "1.3.0"
#: OCSF 1.3.0: category Findings (2), class Compliance Finding (2003), activity Create (1).
OCSF_CATEGORY_UID, OCSF_CLASS_UID, OCSF_ACTIVITY_CREATE = 2, 2003, 1
OCSF_TYPE_UID = OCSF_CLASS_UID * 100 + OCSF_ACTIVITY_CREATE
#: severity_id (base event): 2 Low, 3 Medium, 4 High, 5 Critical.
OCSF_SEVERITY = {"low": (2, "Low"), "medium": (3, "Medium"), "high": (4, "High"), "critical": (5, "Critical")}
#: compliance.status_id: 1 Pass, 2 Warning ("did not yield a result due to missing information"),
#: 3 Fail, 99 Other (the status caption is then the source's own).
OCSF_COMPLIANCE_STATUS = {
    "PASS": (1, "Pass"),
    "ERROR": (2, "Warning"),
    "FAIL": (3, "Fail"),
    "RISK_ACCEPTED": (3, "Fail"),
    "NOT_APPLICABLE": (99, "Not Applicable"),
}
#: Finding status_id: 1 New; 3 Suppressed for a failure whose risk the organization accepted.
OCSF_FINDING_STATUS = {"RISK_ACCEPTED": (3, "Suppressed")}
_NEW = (1, "New")
CSV_COLUMNS = ("check_key", "check_title", "severity", "check_result", "provider", "resource_id", "region",
               "account", "status", "message", "frameworks", "evidence_id", "audit_id", "proof_file",
               "proof_evidence_date", "proof_expires_on", "proof_state", "proof_sha256", "proof_file_missing")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json", "ocsf": "application/json"}
_SUFFIX = {"csv": "csv", "json": "json", "ocsf": "ocsf.json"}


@dataclass(frozen=True)
class AuditExport:
    """The file to hand over: its name (no user text in it), media type and content."""

    filename: str
    content_type: str
    body: str


@dataclass(frozen=True)
class ProofFacts:
    """A row's proof as exports state it (ISO dates; state is current, expiring or stale as of
    the export's date). The SHA-256 is the one recorded when the bytes were uploaded."""

    file: str
    evidence_date: str
    expires_on: str
    state: str
    sha256: str
    file_missing: bool


@dataclass(frozen=True)
class _Row:
    """One evidence row with what every format needs of its check, integration and proof."""

    evidence: Evidence
    question: Question
    check_result: str
    account: str
    proof: ProofFacts | None


def check_format(fmt: str) -> str:
    """The format name, normalised; a clear error naming the choices otherwise."""
    name = (fmt or "").strip().lower()
    if name not in FORMATS:
        shown = fmt if len(fmt or "") <= 40 else f"{fmt[:40]}…"
        raise ValidationError(f"Unknown export format {shown!r}: choose csv, json or ocsf.", field="format")
    return name


def export_audit(actor: Actor, audit_id: uuid.UUID | str, fmt: str) -> AuditExport:
    """The audit in `fmt` (csv, json or ocsf), for a member of its organization."""
    name = check_format(fmt)
    with session_scope() as s:
        audit = access_audit(s, actor, audit_id, Permission.READ)[0]
        organization = s.get(Organization, audit.organization_id)
        checks = check_rows(s, audit_score(s, audit.id))
        now = utcnow()
        rows = _rows(s, audit, {c.question_key: c.result for c in checks}, now.date())
        render = {"csv": _csv, "json": _json, "ocsf": _ocsf}[name]
        body = render(audit, organization, checks, rows, now)
    return AuditExport(f"audit-{audit.id}.{_SUFFIX[name]}", _CONTENT_TYPES[name], body)


def _rows(s: Session, audit: Audit, results: dict[str, str], today: date) -> list[_Row]:
    found = s.exec(
        select(Evidence, Question).join(Question, Question.id == Evidence.question_id)
        .where(Evidence.audit_id == audit.id).order_by(Question.key, Evidence.resource_id, Evidence.id)
    ).all()
    proofs = current_proofs(s, audit.organization_id, [(q.key, e.resource_id) for e, q in found])
    return [_Row(e, q, results.get(q.key, ""), _account(audit, e),
                 _proof_facts(proofs.get((q.key, e.resource_id)), today)) for e, q in found]  # fmt: skip


def _proof_facts(proof: Proof | None, today: date) -> ProofFacts | None:
    if proof is None:
        return None
    expiry = expires_on(proof.evidence_date, proof.valid_days)
    return ProofFacts(proof.file_name, proof.evidence_date.isoformat(), expiry.isoformat(), freshness(expiry, today),
                      proof.sha256, not file_present(proof.file_name))


def _account(audit: Audit, evidence: Evidence) -> str:
    """The AWS account id or GitHub organization the scan recorded for the row's integration."""
    entry = (audit.scope or {}).get(str(evidence.integration_id)) if evidence.integration_id else None
    return str((entry or {}).get("account") or "")


def _frameworks_text(frameworks: dict[str, list[str]] | None) -> str:
    return "; ".join(f"{name} {', '.join(ids)}" for name, ids in sorted((frameworks or {}).items()) if ids)


# -- CSV -------------------------------------------------------------------------------------
def safe_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: formula-like starts get a leading apostrophe."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _proof_cells(proof: ProofFacts | None) -> tuple[str, ...]:
    if proof is None:
        return ("",) * 6
    return (proof.file, proof.evidence_date, proof.expires_on, proof.state, proof.sha256,
            "true" if proof.file_missing else "false")  # fmt: skip


def _csv(audit: Audit, _org: Organization | None, _checks: list[CheckRow], rows: list[_Row], _now: datetime) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        e, q = r.evidence, r.question
        writer.writerow(safe_cell(v) for v in (
            q.key, q.title, q.severity, r.check_result, q.provider, e.resource_id, e.region or "", r.account,
            e.status, e.message, _frameworks_text(q.frameworks), e.id, audit.id, *_proof_cells(r.proof)))
    return out.getvalue()


# -- JSON ------------------------------------------------------------------------------------
def _json(audit: Audit, org: Organization | None, checks: list[CheckRow], rows: list[_Row], now: datetime) -> str:
    summary = audit_summary(audit)
    document = {
        "export": {"product": PRODUCT, "version": __version__, "format": "json", "generated_at": iso_utc(now)},
        "organization": {"id": str(audit.organization_id), "slug": org.slug if org else "",
                         "name": org.name if org else ""},
        "audit": {**{k: iso_utc(v) if isinstance(v, datetime) else v for k, v in summary.items()},
                  "scope": audit.scope or {}},
        "checks": [asdict(c) for c in checks],
        "evidence": [{
            "id": r.evidence.id, "check_key": r.question.key, "check_title": r.question.title,
            "severity": str(r.question.severity), "provider": str(r.question.provider),
            "check_result": r.check_result, "status": str(r.evidence.status),
            "original_status": str(r.evidence.original_status) if r.evidence.original_status else None,
            "resource_id": r.evidence.resource_id, "region": r.evidence.region, "account": r.account,
            "message": r.evidence.message, "remediation": r.evidence.remediation_steps,
            "raw_data": r.evidence.raw_data, "collected_at": iso_utc(r.evidence.created_at),
            "proof": asdict(r.proof) if r.proof else None,
        } for r in rows],
    }
    return json.dumps(document, indent=2, sort_keys=True, default=str) + "\n"


# -- OCSF ------------------------------------------------------------------------------------
def _ms(value: datetime | None) -> int:
    """OCSF timestamp_t: milliseconds since the epoch (UTC)."""
    return int(value.timestamp() * 1000) if value else 0


def _compliance(q: Question, status: str, detail: str) -> dict[str, Any]:
    status_id, caption = OCSF_COMPLIANCE_STATUS.get(status, (0, "Unknown"))
    frameworks = q.frameworks or {}
    return {
        "control": q.key,
        "standards": sorted(name for name, ids in frameworks.items() if ids),
        "requirements": [f"{name} {i}" for name, ids in sorted(frameworks.items()) for i in ids],
        "status_id": status_id,
        "status": caption,
        "status_code": status,
        "status_detail": detail,
    }


def _metadata(audit: Audit, uid: str) -> dict[str, Any]:
    return {"version": OCSF_VERSION, "product": {"name": PRODUCT, "vendor_name": PRODUCT, "version": __version__},
            "tenant_uid": str(audit.organization_id), "uid": uid}


def _event(audit: Audit, q: Question, *, uid: str, kind: str, status: str, message: str, when: datetime | None,
           extra: dict[str, Any]) -> dict[str, Any]:
    severity_id, severity = OCSF_SEVERITY.get(str(q.severity), (0, "Unknown"))
    status_id, status_caption = OCSF_FINDING_STATUS.get(status, _NEW)
    return {
        "activity_id": OCSF_ACTIVITY_CREATE, "activity_name": "Create",
        "category_uid": OCSF_CATEGORY_UID, "category_name": "Findings",
        "class_uid": OCSF_CLASS_UID, "class_name": "Compliance Finding",
        "type_uid": OCSF_TYPE_UID, "type_name": "Compliance Finding: Create",
        "time": _ms(when),
        "severity_id": severity_id, "severity": severity,
        "status_id": status_id, "status": status_caption, "status_code": status, "status_detail": message,
        "message": message,
        "metadata": _metadata(audit, uid),
        "finding_info": {"uid": uid, "title": q.title, "desc": q.rationale, "types": [kind],
                         "created_time": _ms(when)},
        "compliance": _compliance(q, status, message),
        "remediation": {"desc": q.remediation},
        "unmapped": {"audit_id": str(audit.id), "provider": str(q.provider), "service": q.service},
        **extra,
        **({"metadata": {**_metadata(audit, uid), "profiles": ["cloud"]}} if "cloud" in extra else {}),
    }


def _ocsf(audit: Audit, _org: Organization | None, checks: list[CheckRow], rows: list[_Row], _now: datetime) -> str:
    questions = {r.question.key: r.question for r in rows}
    events = []
    for c in checks:
        q = questions.get(c.question_key)
        if q is None:
            continue
        events.append(_event(audit, q, uid=f"{audit.id}/{c.question_key}", kind="Check result", status=c.result,
                             message=f"{c.title}: {c.result} ({c.resources_text})",
                             when=audit.finished_at or audit.created_at, extra={}))
    for r in rows:
        e, q = r.evidence, r.question
        resource: dict[str, Any] = {"uid": e.resource_id or r.account or str(audit.organization_id),
                                    "type": q.service}
        if e.region:
            resource["region"] = e.region
        extra: dict[str, Any] = {"resources": [resource],
                                 "raw_data": json.dumps(e.raw_data, sort_keys=True, default=str)}
        if str(q.provider) == "aws":  # the cloud profile: provider, region and the AWS account
            extra["cloud"] = {"provider": "AWS", **({"region": e.region} if e.region else {}),
                              **({"account": {"uid": r.account, "type_id": 10, "type": "AWS Account"}}
                                 if r.account else {})}
        event = _event(audit, q, uid=f"{audit.id}/evidence/{e.id}", kind="Evidence", status=str(e.status),
                       message=e.message, when=e.created_at, extra=extra)
        if r.proof:  # the Compliance Finding class has no attribute for an uploaded proof
            event["unmapped"]["proof"] = asdict(r.proof)
        events.append(event)
    return json.dumps(events, indent=2, sort_keys=True) + "\n"
