"""`scan`, `audit show|list|diff|export` and `risk accept|list|revoke` (DESIGN.md §6)."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import asdict
from datetime import date

import typer

from compliance_app.commands._common import actor, fail, print_json
from compliance_app.models import Audit, AuditStatus
from compliance_app.services import audit_diff, audit_export, audit_queue, engine, risk, scans
from compliance_app.services.errors import ValidationError
from compliance_app.timestamps import iso_utc

#: How long `scan --wait` lets a worker claim the audit before running it in this process.
CLAIM_GRACE_SECONDS = 2.0
_FINISHED = (AuditStatus.COMPLETED, AuditStatus.FAILED)


def _await(audit: Audit, timeout: float) -> Audit:
    """Wait for a worker to finish the audit, or run it here if none claims it in time."""
    deadline = time.monotonic() + timeout
    grace_until = time.monotonic() + CLAIM_GRACE_SECONDS
    while audit.status not in _FINISHED:
        if audit.status == AuditStatus.PENDING and time.monotonic() >= grace_until:
            worker_id = f"cli:{socket.gethostname()}:{os.getpid()}"
            if audit_queue.claim_audit(audit.id, worker_id):
                typer.echo(f"no worker picked up audit {audit.id}; running it here", err=True)
                engine.run_audit(audit.id, worker_id)
        if time.monotonic() >= deadline:
            fail(f"audit {audit.id} is still {audit.status} after {timeout:.0f}s")
        time.sleep(0.3)
        audit = scans.get_audit(actor(), audit.id)
    return audit


def _print_summary(summary: dict) -> None:
    counts = ", ".join(f"{k.lower()} {v}" for k, v in sorted(summary["counts"].items())) or "no evidence yet"
    score = "n/a" if summary["score"] is None else f"{summary['score']}/100"
    scored = f", {summary['scored']}" if summary.get("scored") else ""
    typer.echo(f"audit {summary['audit_id']}: {summary['status']}  score {score}{scored}  (resources: {counts})")
    if summary.get("error"):
        typer.echo(f"  error: {summary['error']}")


#: The check lists of `audit diff`, in the order they are printed.
_CHANGE_LISTS = (
    ("started_failing", "started failing"),
    ("fixed", "fixed"),
    ("accepted", "accepted"),
    ("could_not_run", "could not run"),
    ("out_of_scope", "out of scope"),
    ("added", "new check"),
)


def _print_changes(changes: dict) -> None:
    since = changes["previous_audit_id"] or "nothing (first scan)"
    typer.echo(f"audit {changes['audit_id']} since {since}: {audit_diff.summary_line(changes)}")
    for name, label in _CHANGE_LISTS:
        for c in changes["checks"][name]:
            was = f"  (was {c['previous'] or 'not checked'}, now {c['current'] or 'not checked'})"
            reason = f" — {c['reason']}" if c.get("reason") else ""
            typer.echo(f"  {label:<16} {c['severity']:<9} {c['key']}  {c['title']}{was}{reason}")
    if changes["resources"]:
        typer.echo("  resources:")
    for r in changes["resources"]:
        parts = [f"{label} {', '.join(r[name]['items'])}"
                 + (f" (+{r[name]['count'] - len(r[name]['items'])} more)" if r[name]["count"] > len(r[name]["items"])
                    else "")
                 for name, label in (("newly_failing", "newly failing"), ("fixed", "fixed"),
                                     ("accepted", "accepted"), ("out_of_scope", "no longer in scope"))
                 if r[name]["count"]]
        typer.echo(f"    {r['key']}: {'; '.join(parts)}")


def register(app: typer.Typer) -> None:
    @app.command("scan")
    def scan(
        org: str = typer.Option(..., "--org", help="Organization slug"),
        wait: bool = typer.Option(False, "--wait", help="Run or await the audit and print its result"),
        timeout: float = typer.Option(900.0, "--timeout", help="Seconds --wait waits at most"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Queue an audit for the organization (or return the one already active); refused when it has
        nothing to scan (no integration, or the demo organization)."""
        org_id = scans.organization_id_for_slug(actor(), org)
        audit = scans.start_scan(actor(), org_id)
        if wait:
            audit = _await(audit, timeout)
        summary = scans.audit_summary(audit)
        if as_json:
            print_json(summary)
        else:
            _print_summary(summary)
        if audit.status == AuditStatus.FAILED:
            fail(f"audit {audit.id} failed: {audit.error}")

    audit_app = typer.Typer(help="Audits and their evidence.", no_args_is_help=True)
    app.add_typer(audit_app, name="audit")

    @audit_app.command("show")
    def audit_show(
        audit_id: str = typer.Argument(..., help="Audit id"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """The audit with its evidence: question, status, resource, raw data, remediation."""
        audit = scans.get_audit(actor(), audit_id)
        evidence = []
        page = 1
        while True:
            batch = scans.list_evidence(actor(), audit.id, sort="status", page=page, page_size=200)
            evidence.extend(batch.items)
            if page >= batch.pages:
                break
            page += 1
        if as_json:
            print_json({"audit": scans.audit_summary(audit), "evidence": [asdict(e) for e in evidence]})
            return
        _print_summary(scans.audit_summary(audit))
        for e in evidence:
            where = f" [{e.region}]" if e.region else ""
            typer.echo(f"  {e.status:<13} {e.severity:<8} {e.question_key}  {e.resource_id}{where}")
            typer.echo(f"      {e.message}")
            if e.remediation_steps:
                typer.echo(f"      fix: {e.remediation_steps}")

    @audit_app.command("diff")
    def audit_diff_command(
        audit_id: str = typer.Argument(..., help="Audit id (with two ids: the older one)"),
        other_id: str | None = typer.Argument(None, help="A later audit of the same organization"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """What changed since the organization's previous completed audit (or from the first audit to the second)."""
        if other_id is None:
            changes = audit_diff.get_audit_changes(actor(), audit_id)
        else:
            changes = audit_diff.compare_audits(actor(), audit_id, other_id)
        if as_json:
            print_json(changes)
        else:
            _print_changes(changes)

    @audit_app.command("export")
    def audit_export_command(
        audit_id: str = typer.Argument(..., help="Audit id"),
        fmt: str = typer.Option(..., "--format", help="csv, json or ocsf (OCSF 1.3.0 Compliance Findings)"),
        output: str | None = typer.Option(None, "--output", help="Write to this file instead of stdout"),
    ) -> None:
        """The audit for auditors' and security tools: CSV (one row per resource), JSON or OCSF."""
        try:
            audit_export.check_format(fmt)
        except ValidationError as exc:  # a usage error, like an unknown option: exit 2
            fail(exc.message, code=2)
        exported = audit_export.export_audit(actor(), audit_id, fmt)
        if output is None:
            typer.echo(exported.body, nl=False)
            return
        try:
            with open(output, "w", encoding="utf-8", newline="") as f:
                f.write(exported.body)
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
        typer.echo(f"wrote {output}", err=True)

    @audit_app.command("list")
    def audit_list(
        org: str = typer.Option(..., "--org", help="Organization slug"),
        status: str | None = typer.Option(None, "--status", help="PENDING, RUNNING, COMPLETED or FAILED"),
        limit: int = typer.Option(20, "--limit", min=1, max=200),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Recent audits of the organization, newest first."""
        org_id = scans.organization_id_for_slug(actor(), org)
        page = scans.list_audits(actor(), org_id, status=status, page_size=limit)
        summaries = [scans.audit_summary(a) for a in page.items]
        if as_json:
            print_json({"total": page.total, "audits": summaries})
            return
        if not summaries:
            typer.echo("no audits yet")
        for s in summaries:
            score = "-" if s["score"] is None else s["score"]
            typer.echo(f"{s['audit_id']}  {iso_utc(s['created_at'])}  {s['status']:<9}  score {score}")

    risk_app = typer.Typer(help="Risk acceptance exceptions.", no_args_is_help=True)
    app.add_typer(risk_app, name="risk")

    @risk_app.command("accept")
    def risk_accept(
        org: str = typer.Option(..., "--org", help="Organization slug"),
        question: str = typer.Option(..., "--question", help="Question key"),
        reason: str = typer.Option(..., "--reason", help="Why the risk is accepted"),
        expires: str = typer.Option(..., "--expires", help="Expiry date YYYY-MM-DD (at most one year)"),
        resource: str | None = typer.Option(None, "--resource", help="Only this resource id"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Accept a failing question (optionally for one resource) until a date."""
        try:
            expires_on = date.fromisoformat(expires)
        except ValueError:
            fail(f"--expires must be a date like 2027-01-31, not {expires!r}")
        org_id = scans.organization_id_for_slug(actor(), org)
        exception = risk.accept_risk(actor(), org_id, question, reason, expires_on, resource_id=resource)
        if as_json:
            print_json({"id": exception.id, "expires_at": exception.expires_at})
        else:
            typer.echo(f"accepted {question} until {exception.expires_at:%Y-%m-%d} (id {exception.id})")

    @risk_app.command("list")
    def risk_list(
        org: str = typer.Option(..., "--org", help="Organization slug"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Risk acceptances with their status (active, expired, revoked)."""
        rows = risk.list_risk_acceptances(actor(), scans.organization_id_for_slug(actor(), org))
        if as_json:
            print_json([asdict(r) for r in rows])
            return
        for r in rows:
            scope = r.resource_id or "all resources"
            typer.echo(f"{r.id}  {r.status:<8} until {r.expires_at:%Y-%m-%d}  {r.question_key} ({scope})")

    @risk_app.command("revoke")
    def risk_revoke(exception_id: str = typer.Argument(..., help="Risk acceptance id")) -> None:
        """Stop a risk acceptance applying to new audits."""
        risk.revoke_risk(actor(), exception_id)
        typer.echo(f"revoked {exception_id}")

