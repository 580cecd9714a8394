"""The routes of /api/v1. Each resolves the bearer token to an Actor, calls services, and shapes
the answer; authorization is the services' (authz.authorize), errors map in api/v1/__init__.py.

Handlers are plain `def`: FastAPI runs them in its thread pool, so database work never blocks
the event loop.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from compliance_app.api.auth import client_ip
from compliance_app.api.v1 import PREFIX
from compliance_app.api.v1.schemas import (
    AuditDetail,
    AuditOut,
    AuditPage,
    CheckOut,
    CheckResultOut,
    EvidenceOut,
    EvidencePage,
    OrganizationOut,
    Problem,
    ScanOut,
    SnapshotOut,
    SnapshotPage,
    TrendPoint,
)
from compliance_app.models import Audit
from compliance_app.services import api_tokens, catalog, check_results, dashboard, scans, snapshot_bundles, snapshots
from compliance_app.services.authz import ROW_ID_MAX, Actor
from compliance_app.services.errors import AuthenticationRequired, NotFound
from compliance_app.settings import get_settings

_bearer = HTTPBearer(auto_error=False, description="An API token (`python -m compliance_app token create`)")


def token_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Actor:
    """The caller the bearer token stands for; its use is recorded and counted against its rate limit."""
    if credentials is None:
        raise AuthenticationRequired(api_tokens.INVALID_TOKEN)
    return api_tokens.authenticate_token(credentials.credentials, client_ip(request), get_settings().api_rate_limit)


Caller = Annotated[Actor, Depends(token_actor)]
_ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": Problem, "description": what}
    for status, what in {
        401: "No working token (missing, invalid, expired or revoked)",
        403: "The token's scope does not allow this",
        404: "Not found, or outside the token's organization",
        429: "Past the token's rate limit; see Retry-After",
    }.items()
}
router = APIRouter(responses=_ERRORS)


def _audit_in(actor: Actor, slug: str, audit_id: str) -> tuple[uuid.UUID, Audit]:
    """The organization named in the path, and one of its audits (another's is not found)."""
    organization_id = scans.organization_id_for_slug(actor, slug)
    audit = scans.get_audit(actor, audit_id)
    if audit.organization_id != organization_id:
        raise NotFound("Audit not found.")
    return organization_id, audit


def _audit_out(audit: Audit) -> AuditOut:
    return AuditOut.model_validate(scans.audit_summary(audit))


@router.get("/orgs", response_model=list[OrganizationOut], summary="The organization the token belongs to")
def list_organizations(actor: Caller) -> list[OrganizationOut]:
    return [OrganizationOut.model_validate(o) for o in api_tokens.token_organizations(actor)]


@router.get("/orgs/{slug}/audits", response_model=AuditPage, summary="Audits, newest first")
def list_audits(
    actor: Caller, slug: str, status: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1, page_size: Annotated[int, Query(ge=1, le=scans.MAX_PAGE_SIZE)] = 20,
) -> AuditPage:
    organization_id = scans.organization_id_for_slug(actor, slug)
    found = scans.list_audits(actor, organization_id, status=status or None, page=page, page_size=page_size)
    return AuditPage(items=[_audit_out(a) for a in found.items], total=found.total, page=found.page,
                     page_size=found.page_size, pages=found.pages)


@router.get("/orgs/{slug}/audits/{audit_id}", response_model=AuditDetail,
            summary="One audit with its per-check results and counts")
def get_audit(actor: Caller, slug: str, audit_id: str) -> AuditDetail:
    _organization_id, audit = _audit_in(actor, slug, audit_id)
    rows: list[CheckResultOut] = []
    page = 1
    while True:
        found = check_results.list_check_results(actor, audit.id, page=page, page_size=scans.MAX_PAGE_SIZE)
        rows += [CheckResultOut(key=r.question_key, **{k: v for k, v in vars(r).items() if k != "question_key"})
                 for r in found.items]
        if page >= found.pages:
            break
        page += 1
    return AuditDetail(**_audit_out(audit).model_dump(), check_results=rows)


@router.get("/orgs/{slug}/audits/{audit_id}/evidence", response_model=EvidencePage,
            summary="An audit's evidence (one row per resource), paginated")
def list_evidence(
    actor: Caller, slug: str, audit_id: str,
    check: Annotated[str | None, Query(description="Check key, e.g. github_org_2fa_required")] = None,
    result: Annotated[str | None, Query(description="PASS, FAIL, RISK_ACCEPTED, ERROR, NOT_APPLICABLE")] = None,
    severity: Annotated[str | None, Query(description="critical, high, medium or low")] = None,
    page: Annotated[int, Query(ge=1, le=scans.MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=scans.MAX_PAGE_SIZE)] = 50,
) -> EvidencePage:
    _organization_id, audit = _audit_in(actor, slug, audit_id)
    found = scans.list_evidence(actor, audit.id, status=result or None, severity=severity or None,
                                question_key=check or None, page=page, page_size=page_size)
    items = [
        EvidenceOut(check=e.question_key, title=e.question_title,
                    **{k: v for k, v in vars(e).items() if k not in {"question_key", "question_title"}})
        for e in found.items
    ]
    return EvidencePage(items=items, total=found.total, page=found.page, page_size=found.page_size,
                        pages=found.pages)


@router.get("/orgs/{slug}/checks", response_model=list[CheckOut], summary="The check catalog")
def list_checks(
    actor: Caller, slug: str, provider: str | None = None, severity: str | None = None,
    framework: str | None = None,
) -> list[CheckOut]:
    scans.organization_id_for_slug(actor, slug)
    found, _size = catalog.list_checks(provider=provider or None, severity=severity or None,
                                       framework=framework or None)
    return [CheckOut(key=m.key, title=m.title, provider=str(m.provider), service=m.service,
                     severity=str(m.severity), frameworks=m.frameworks, rationale=m.rationale,
                     remediation=m.remediation) for m in found]


@router.get("/orgs/{slug}/trend", response_model=list[TrendPoint], response_model_by_alias=True,
            summary="Daily score and checks per result, oldest first")
def score_trend(
    actor: Caller, slug: str,
    days: Annotated[int, Query(description=f"One of {', '.join(map(str, dashboard.TREND_RANGES))}")] = 30,
) -> list[TrendPoint]:
    organization_id = scans.organization_id_for_slug(actor, slug)
    return [TrendPoint.model_validate(p) for p in dashboard.score_trend(actor, organization_id, days)]


@router.get("/orgs/{slug}/snapshots", response_model=SnapshotPage, summary="Snapshots, newest first")
def list_snapshots(actor: Caller, slug: str, page: Annotated[int, Query(ge=1, le=scans.MAX_PAGE)] = 1) -> SnapshotPage:
    organization_id = scans.organization_id_for_slug(actor, slug)
    found = snapshots.list_snapshots(actor, organization_id, page)
    items = [
        SnapshotOut(**{**item.as_dict(), "bundle": f"{PREFIX}/orgs/{slug}/snapshots/{item.id}/bundle"})
        for item in found.items
    ]
    return SnapshotPage(items=items, total=found.total, page=found.page, page_size=found.page_size,
                        pages=found.pages)


@router.get("/orgs/{slug}/snapshots/{snapshot_id}/bundle", summary="A signed snapshot's bundle (docs/verify.md)",
            response_class=JSONResponse)
def get_bundle(actor: Caller, slug: str, snapshot_id: Annotated[int, Path(ge=1, le=ROW_ID_MAX)]) -> JSONResponse:
    scans.organization_id_for_slug(actor, slug)
    bundle = snapshot_bundles.export_bundle(actor, snapshot_id)
    return JSONResponse(bundle.content,
                        headers={"Content-Disposition": f'attachment; filename="{bundle.file_name}"'})


@router.post("/orgs/{slug}/scans", response_model=ScanOut, status_code=202,
             summary="Start a scan (or get the one already queued or running); needs scope scan or admin")
def start_scan(actor: Caller, slug: str) -> ScanOut:
    organization_id = scans.organization_id_for_slug(actor, slug)
    audit = scans.start_scan(actor, organization_id)
    return _scan_out(actor, slug, str(audit.id))


@router.get("/orgs/{slug}/scans/{audit_id}", response_model=ScanOut, summary="Follow a scan")
def get_scan(actor: Caller, slug: str, audit_id: str) -> ScanOut:
    _audit_in(actor, slug, audit_id)
    return _scan_out(actor, slug, audit_id)


def _scan_out(actor: Actor, slug: str, audit_id: str) -> ScanOut:
    progress = scans.get_audit_progress(actor, audit_id)
    return ScanOut(**progress, audit=f"{PREFIX}/orgs/{slug}/audits/{progress['audit_id']}")
