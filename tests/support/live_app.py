"""The app in production mode (`reflex run --env prod`) as a child process on a free loopback port,
for benchmarks and tests that need their own instance (their own DATABASE_URL, e.g. through a
TcpProxy). The session-wide instance for browser tests is tests/conftest.py's live_app fixture.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
BUN_DIR = PROJECT_ROOT / ".tools" / "node_modules" / "@oven" / "bun-linux-x64" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(database_url: str, workdir: Path, extra_env: dict[str, str] | None = None,
              timeout: float = 240) -> tuple[subprocess.Popen[bytes], str]:
    """Start the app; returns (process, base URL) once /api/health answers 200.

    Stop it with compliance_app.commands.serve.stop_process_group(process)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": database_url, "APP_URL": base_url,
           "PATH": f"{BUN_DIR}:{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
           "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_CHECK_LATEST_VERSION": "false",
           "REFLEX_WEB_WORKDIR": str(workdir / ".web"), "REFLEX_STATES_WORKDIR": str(workdir / ".states"),
           # No prerendered HTML: nothing here reads it, and on a loaded machine its fixed 10 s
           # timeout fails the build.
           "REFLEX_SSR": "false",
           **(extra_env or {})}
    log_path = workdir / "reflex.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "reflex"), "run", "--env", "prod", "--frontend-port", str(port),
             "--backend-port", str(port), "--loglevel", "warning"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the app exited: " + log_path.read_text()[-2000:])
        try:
            if httpx.get(f"{base_url}/api/health", timeout=2).status_code == 200:
                return proc, base_url
        except httpx.HTTPError:
            pass
        time.sleep(1)
    from compliance_app.commands.serve import stop_process_group

    stop_process_group(proc)
    raise RuntimeError(f"the app did not become healthy in {timeout:.0f} s: " + log_path.read_text()[-2000:])
