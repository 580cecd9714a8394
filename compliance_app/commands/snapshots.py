"""`snapshot create|verify|list|export` and `share create|revoke` (DESIGN.md §6)."""

from __future__ import annotations

from pathlib import Path

import typer

from compliance_app.commands._common import actor, fail, print_json
from compliance_app.services import shares, snapshot_bundles, snapshots
from compliance_app.settings import get_settings
from compliance_app.timestamps import iso_utc


def share_url(token: str) -> str:
    return f"{get_settings().app_url.rstrip('/')}/share/{token}"


def register(app: typer.Typer) -> None:
    snapshot = typer.Typer(help="Immutable, checksummed audit snapshots.", no_args_is_help=True)
    share = typer.Typer(help="Public share links to snapshots.", no_args_is_help=True)

    @snapshot.command("create")
    def snapshot_create(
        audit_id: str = typer.Argument(..., help="Id of a COMPLETED audit"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Freeze a completed audit into a snapshot and print its checksum."""
        summary = snapshots.create_snapshot(actor(), audit_id)
        if as_json:
            print_json(summary.as_dict())
            return
        typer.echo(
            f"snapshot {summary.id} of audit {summary.audit_id}: {summary.evidence_count} evidence rows"
        )
        typer.echo(f"sha256 {summary.checksum}")

    @snapshot.command("verify")
    def snapshot_verify(
        snapshot_id: int = typer.Argument(..., help="Snapshot id"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Recompute the checksum, check the signature and the organization's chain; exits 1
        when anything does not hold."""
        result = snapshots.verify_snapshot(actor(), snapshot_id)
        if as_json:
            print_json(
                {"id": result.snapshot_id, "valid": result.valid, "stored": result.stored,
                 "recomputed": result.recomputed, "signature": result.signature, "keyid": result.keyid,
                 "sequence": result.sequence, "problems": list(result.problems)}
            )
            if not result.valid:
                raise typer.Exit(1)
            return
        if not result.valid:  # one line (DESIGN.md §6): every problem, the checksum's first
            fail(f"snapshot {result.snapshot_id} is INVALID: " + "; ".join(result.problems))
        signed = (f"signed (key {result.keyid[:12]}…), sequence {result.sequence}, chain intact"
                  if result.signature == "valid" else "unsigned (taken before snapshots were signed)")
        typer.echo(f"snapshot {result.snapshot_id} is valid (sha256 {result.stored}), {signed}")

    @snapshot.command("export")
    def snapshot_export(
        snapshot_id: int = typer.Argument(..., help="Snapshot id"),
        out: Path = typer.Option(..., "--out", help="File to write the bundle to", dir_okay=False),
    ) -> None:
        """Write the signed bundle an auditor verifies offline (docs/verify.md)."""
        bundle = snapshot_bundles.export_bundle(actor(), snapshot_id)
        try:
            out.write_bytes(bundle.to_bytes())
        except OSError as exc:
            fail(f"could not write {out}: {exc.strerror}")
        typer.echo(f"wrote {out} (snapshot {snapshot_id}, sha256 {bundle.content['checksum']})")

    @snapshot.command("list")
    def snapshot_list(
        org: str = typer.Option(..., "--org", help="Organization slug"),
        page: int = typer.Option(1, "--page", min=1, help="Page number (20 per page)"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """An organization's snapshots, newest first, with their verification result."""
        result = snapshots.list_snapshots(actor(), org, page)
        if as_json:
            print_json(
                {"page": result.page, "pages": result.pages, "total": result.total,
                 "snapshots": [item.as_dict() for item in result.items]}
            )
            return
        if not result.items:
            typer.echo("no snapshots")
            return
        for item in result.items:
            verdict = "valid" if item.valid else "INVALID"
            pin = " pinned" if item.is_pinned else ""
            score = "-" if item.score is None else item.score
            typer.echo(
                f"{item.id}\t{iso_utc(item.created_at)}\tscore {score}\t{item.evidence_count} evidence"
                f"\t{verdict}{pin}\t{item.checksum}"
            )
        typer.echo(f"page {result.page}/{result.pages} ({result.total} snapshots)")

    @share.command("create")
    def share_create(
        snapshot_id: int = typer.Argument(..., help="Snapshot id"),
        expires_in: str = typer.Option("30d", "--expires-in", help="Lifetime: 12h, 7d, 2w (at most 365d)"),
        label: str = typer.Option("", "--label", help="Who the link is for"),
        disclosure: str = typer.Option(
            "redact", "--disclosure",
            help="What the link shows: redact (identifiers masked), hide-raw (no raw proof) or full",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Create a public link; the URL and token are printed once and never again."""
        link, token = shares.create_link(
            actor(), snapshot_id, shares.parse_expires_in(expires_in), label, shares.parse_disclosure(disclosure)
        )
        url = share_url(token)
        if as_json:
            print_json({**link.as_dict(), "url": url, "token": token})
            return
        expires = iso_utc(link.expires_at)
        typer.echo(f"link {link.id} for snapshot {link.snapshot_id} ({link.disclosure}), expires {expires}")
        typer.echo(f"url   {url}")
        typer.echo(f"token {token}")
        typer.echo("The token is shown only now: store the URL safely.")

    @share.command("revoke")
    def share_revoke(
        link_id: str = typer.Argument(..., help="Link id"),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document"),
    ) -> None:
        """Stop a public link from working."""
        link = shares.revoke_link(actor(), link_id)
        if as_json:
            print_json(link.as_dict())
            return
        typer.echo(f"link {link.id} revoked")

    app.add_typer(snapshot, name="snapshot")
    app.add_typer(share, name="share")
