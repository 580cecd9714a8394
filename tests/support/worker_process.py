"""`python -m compliance_app worker` as a subprocess for fault tests: its own environment
(database URL through a proxy, short poll, a clock under libfaketime), its log in a file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from compliance_app.settings import PROJECT_ROOT


class WorkerProcess:
    def __init__(self, log: Path, env: dict[str, str]) -> None:
        self.log = log
        with log.open("w") as sink:
            self.proc = subprocess.Popen([sys.executable, "-m", "compliance_app", "worker"],
                                         cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=sink,
                                         stderr=subprocess.STDOUT)

    @property
    def worker_id(self) -> str:
        return f"{os.uname().nodename}:{self.proc.pid}"

    def output(self) -> str:
        return self.log.read_text()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while " ready " not in self.output():
            assert self.alive(), f"worker exited early:\n{self.output()}"
            assert time.monotonic() < deadline, f"worker not ready:\n{self.output()}"
            time.sleep(0.1)

    def stop(self) -> int:
        """SIGTERM (graceful: releases its audit), SIGKILL if it does not exit in 20 s."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait(10)
