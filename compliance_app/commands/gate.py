"""`gate`: a compliance gate for CI pipelines, through the HTTP API only (no database access).

Starts a scan with POST /api/v1/orgs/{org}/scans (or joins the one already running), follows it,
reads the audit's per-check results, prints them and decides: the gate fails when the score is
below --min-score (or there is no score), or when a check of a --fail-on severity FAILs. Exit 0
when the gate passes, 1 when it fails or the scan could not be run; the reason is one line on
stderr, the per-check summary is on stdout (docs/api.md shows it in a GitHub Actions workflow).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import typer

from compliance_app.commands._common import fail, print_json
from compliance_app.models import Severity

#: Results that end a scan.
FINISHED = {"COMPLETED", "FAILED"}


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reasons: list[str]


def parse_fail_on(text: str) -> frozenset[str]:
    """'critical,high' -> those severities; '' or 'none' -> none (only the score decides)."""
    wanted = {part.strip().lower() for part in text.split(",") if part.strip()} - {"none"}
    unknown = sorted(wanted - {s.value for s in Severity})
    if unknown:
        raise typer.BadParameter(
            f"unknown severity {', '.join(unknown)}: use a comma-separated list of critical, high, medium, low "
            "(or none)", param_hint="--fail-on",
        )
    return frozenset(wanted)


def decide(audit: dict[str, Any], min_score: int, fail_on: frozenset[str]) -> Verdict:
    """The gate's rule, on the API's audit document (its score and per-check results)."""
    reasons: list[str] = []
    if audit["status"] != "COMPLETED":
        reasons.append(f"the scan did not complete ({audit['status']}: {audit.get('error') or 'no reason given'})")
    score = audit.get("score")
    if score is None:
        reasons.append("the audit has no score (no check could be scored)")
    elif score < min_score:
        reasons.append(f"score {score} is below the minimum {min_score}")
    blocking = [c for c in audit.get("check_results", []) if c["result"] == "FAIL" and c["severity"] in fail_on]
    if blocking:
        reasons.append(f"{len(blocking)} failing check{'s' if len(blocking) != 1 else ''} of severity "
                       f"{', '.join(sorted(fail_on))}: {', '.join(c['key'] for c in blocking)}")
    return Verdict(passed=not reasons, reasons=reasons)


def summary_lines(audit: dict[str, Any]) -> list[str]:
    """One line per check, worst first (the API's order), then the totals."""
    lines = [
        f"{c['result']:<14} {c['severity']:<8} {c['key']}  ({c['failing']} of {c['total']} resources failing)"
        for c in audit.get("check_results", [])
    ]
    score = "none" if audit.get("score") is None else audit["score"]
    lines.append(f"score {score} — {audit.get('scored', '')}")
    return lines


def _base_url(url: str) -> str:
    parts = urlsplit(url.strip()) if url.isprintable() else None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        raise typer.BadParameter("give the app's address, e.g. https://compliance.example.com", param_hint="--url")
    return url.strip().rstrip("/")


class _Api:
    """The few /api/v1 calls the gate makes; any refusal becomes one line and exit 1."""

    def __init__(self, base: str, token: str, org: str) -> None:
        self.org = quote(org, safe="")
        try:
            self.client = httpx.Client(
                base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"},
                timeout=httpx.Timeout(30.0, connect=10.0), follow_redirects=False,
            )
        except ValueError:  # a token no HTTP header can carry (never echoed: it is a secret)
            fail("the token cannot be sent in an HTTP header: check --token")

    def call(self, method: str, path: str) -> dict[str, Any]:
        while True:
            try:
                response = self.client.request(method, path)
            except httpx.HTTPError as exc:
                fail(f"could not reach {self.client.base_url}: {exc.__class__.__name__}: {exc}")
            except ValueError as exc:  # an address or a token httpx cannot put on the wire
                fail(f"could not call {self.client.base_url}: {exc}")
            if response.status_code == 429:  # the token's rate limit: wait as told, then go on
                time.sleep(min(60, int(response.headers.get("retry-after", "5") or 5)))
                continue
            if response.status_code >= 400:
                try:
                    detail = response.json().get("detail", "")
                except ValueError:
                    detail = response.text[:200]
                fail(f"{method} {path}: HTTP {response.status_code} {detail}")
            return response.json()


def register(app: typer.Typer) -> None:
    @app.command("gate")
    def gate(
        url: str = typer.Option(..., "--url", help="The app's address, e.g. https://compliance.example.com"),
        token: str = typer.Option(..., "--token", envvar="COMPLIANCE_API_TOKEN",
                                  help="An API token of scope scan (or COMPLIANCE_API_TOKEN)"),
        org: str = typer.Option(..., "--org", help="Organization slug"),
        min_score: int = typer.Option(80, "--min-score", min=0, max=100, help="Lowest passing score"),
        fail_on: str = typer.Option("critical,high", "--fail-on",
                                    help="Severities whose failing checks fail the gate (or none)"),
        timeout: float = typer.Option(1800, "--timeout", min=1, max=86400, help="Seconds to wait for the scan"),
        poll: float = typer.Option(3.0, "--poll", min=0.1, max=60, help="Seconds between progress checks"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document (the audit and the verdict)"),
    ) -> None:
        """Run a scan through the API and fail the pipeline when the organization is not compliant enough."""
        severities = parse_fail_on(fail_on)
        api = _Api(_base_url(url), token, org)
        scan = api.call("POST", f"/orgs/{api.org}/scans")
        deadline = time.monotonic() + timeout
        while scan["status"] not in FINISHED:
            if time.monotonic() > deadline:
                fail(f"the scan {scan['audit_id']} did not finish within {timeout:g} seconds")
            time.sleep(poll)
            scan = api.call("GET", f"/orgs/{api.org}/scans/{scan['audit_id']}")
        audit = api.call("GET", f"/orgs/{api.org}/audits/{scan['audit_id']}")
        verdict = decide(audit, min_score, severities)
        if as_json:
            print_json({"audit": audit, "passed": verdict.passed, "reasons": verdict.reasons})
        else:
            for line in summary_lines(audit):
                typer.echo(line)
        if not verdict.passed:
            fail("gate failed: " + "; ".join(verdict.reasons))
        if not as_json:
            typer.echo(f"gate passed: score {audit['score']} ≥ {min_score}, no failing check of severity "
                       f"{', '.join(sorted(severities)) or '(none checked)'}")
