"""`serve`: the web app (Reflex, production mode, one port) plus one worker, side by side.

Ctrl-C (or SIGTERM) stops both. This is what `make run` calls after migrating and seeding.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import typer

from compliance_app.db import check_database
from compliance_app.services.demo import DEMO_EMAIL, DEMO_PASSWORD
from compliance_app.services.keys import refuse_to_start_with_foreign_keys
from compliance_app.settings import PROJECT_ROOT


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=PROJECT_ROOT, env=env, start_new_session=True)


def stop_process_group(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM a process started with start_new_session (and its children: Reflex spawns some),
    then SIGKILL whatever has not exited after `timeout` seconds."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        port: int = typer.Option(3000, envvar="PORT", help="Port for the web app"),
        worker: bool = typer.Option(True, help="Also start one scan worker"),
    ) -> None:
        """Run the web app and one worker until Ctrl-C."""
        check_database()
        refuse_to_start_with_foreign_keys()  # before the web app and the worker, which check again
        # PORT goes to both children so the links they print and send follow it (settings.app_url).
        env = {**os.environ, "PORT": str(port), "REFLEX_TELEMETRY_ENABLED": "false",
               "REFLEX_CHECK_LATEST_VERSION": "false"}
        reflex = os.path.join(os.path.dirname(sys.executable), "reflex")
        web = _spawn(
            [reflex, "run", "--env", "prod", "--frontend-port", str(port), "--backend-port", str(port)], env
        )
        procs = [web]
        if worker:
            procs.append(_spawn([sys.executable, "-m", "compliance_app", "worker"], env))
        typer.echo(
            f"\n  compliance_app is starting on http://localhost:{port}/\n"
            f"  demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}\n  Ctrl-C stops the web app and the worker.\n"
        )
        stop = False

        def _handle(_sig: int, _frame: object) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGINT, _handle)
        signal.signal(signal.SIGTERM, _handle)
        try:
            while not stop and all(p.poll() is None for p in procs):
                time.sleep(0.5)
        finally:
            for proc in procs:
                stop_process_group(proc)
        failed = [p for p in procs if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed and not stop:
            raise typer.Exit(1)
