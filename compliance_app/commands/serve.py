"""`serve`: the web app (Reflex, production mode, one port) plus one worker, side by side.

Ctrl-C (or SIGTERM) stops both. This is what `make run` calls after migrating and seeding.
A worker that exits on its own (a crash, the database unreachable at its start) is started
again with backoff, and serve says so; scanning must not stop until someone notices.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping

import typer

from compliance_app.db import check_database
from compliance_app.services.demo import DEMO_EMAIL, DEMO_PASSWORD
from compliance_app.services.keys import refuse_to_start_with_foreign_keys
from compliance_app.settings import PROJECT_ROOT

#: glibc's malloc gives threads that contend for it arenas of their own (up to 8 per core); with
#: the worker's check pool that kept ~25 MB more of a large scan resident at no gain in speed
#: (bench scan_latency, 2 cores). Read by glibc when the process starts, so it goes in the
#: worker's environment; an operator's own MALLOC_ARENA_MAX wins.
WORKER_MALLOC_ARENAS = "2"


def worker_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment a worker process is started with: `env`, plus the malloc arena limit."""
    return {"MALLOC_ARENA_MAX": WORKER_MALLOC_ARENAS, **env}


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


def _describe_exit(code: int) -> str:
    return f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"


class KeptRunning:
    """One child process that is started again whenever it exits on its own: after 1 s, then
    2 s, 4 s … at most 60 s while it keeps failing; a run that lasted 60 s starts the wait over."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], *, say: Callable[[str], None],
                 first_delay: float = 1.0, max_delay: float = 60.0, stable_after: float = 60.0) -> None:
        self.name, self.args, self.env, self.say = name, args, env, say
        self.first_delay, self.max_delay, self.stable_after = first_delay, max_delay, stable_after
        self.delay = first_delay
        self.restarts = 0
        self.restart_at: float | None = None
        self._start()

    def _start(self) -> None:
        self.proc = _spawn(self.args, self.env)
        self.started = time.monotonic()
        self.restart_at = None

    def poll(self) -> None:
        """Call every so often: notices an exit, and restarts when the wait is over."""
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.restarts += 1
                self._start()
                self.say(f"serve: {self.name} restarted (restart {self.restarts}, pid {self.proc.pid})")
            return
        code = self.proc.poll()
        if code is None:
            return
        if now - self.started >= self.stable_after:
            self.delay = self.first_delay
        self.say(f"serve: {self.name} {_describe_exit(code)} unexpectedly; restarting it in {self.delay:g} s")
        self.restart_at = now + self.delay
        self.delay = min(self.delay * 2, self.max_delay)

    def stop(self) -> None:
        self.restart_at = None
        stop_process_group(self.proc)


def _say(message: str) -> None:
    typer.echo(message, err=True)


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        port: int = typer.Option(3000, envvar="PORT", help="Port for the web app"),
        host: str = typer.Option(
            "127.0.0.1", envvar="BIND_ADDRESS",
            help="Address the web app listens on (0.0.0.0 when a load balancer on another machine forwards to it)",
        ),
        web_workers: int | None = typer.Option(
            None, min=1, envvar="WEB_WORKERS",
            help="Backend processes of the web app (Reflex's default: 1, or 2 x CPUs + 1 with REDIS_URL)",
        ),
        worker: bool = typer.Option(True, help="Also start one scan worker"),
    ) -> None:
        """Run the web app and one worker until Ctrl-C."""
        check_database()
        refuse_to_start_with_foreign_keys()  # before the web app and the worker, which check again
        # PORT goes to both children so the links they print and send follow it (settings.app_url).
        env = {**os.environ, "PORT": str(port), "BIND_ADDRESS": host, "REFLEX_TELEMETRY_ENABLED": "false",
               "REFLEX_CHECK_LATEST_VERSION": "false"}
        if web_workers is not None:
            env["GRANIAN_WORKERS"] = str(web_workers)  # Reflex's production server reads it
        reflex = os.path.join(os.path.dirname(sys.executable), "reflex")
        web = _spawn([reflex, "run", "--env", "prod", "--frontend-port", str(port), "--backend-port", str(port),
                      "--backend-host", host], env)
        kept = KeptRunning("the worker", [sys.executable, "-m", "compliance_app", "worker"], worker_env(env),
                           say=_say) if worker else None
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
            while not stop and web.poll() is None:
                if kept is not None:
                    kept.poll()
                time.sleep(0.5)
        finally:
            stop_process_group(web)
            if kept is not None:
                kept.stop()
        if not stop and web.returncode not in (0, -signal.SIGTERM, None):
            _say(f"serve: the web app {_describe_exit(web.returncode)}")
            raise typer.Exit(1)
