"""`worker`: run the scheduler and the audit executor in the foreground until SIGTERM."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker() -> None:
        """Run scheduled scans and queued audits until SIGTERM/SIGINT (then exit 0)."""
        from compliance_app.db import check_database
        from compliance_app.services.keys import refuse_to_start_with_foreign_keys
        from compliance_app.worker.scheduler import run_worker

        check_database()
        refuse_to_start_with_foreign_keys()
        raise typer.Exit(run_worker())
