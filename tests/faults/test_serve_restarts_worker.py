"""`serve` (what `make run` starts) keeps its worker running: a worker that dies
is started again with a growing wait, and serve says so."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable

import pytest

from compliance_app.commands.serve import KeptRunning
from tests.faults.ledger import wait_until

pytestmark = pytest.mark.slow


def _restarted(kept: KeptRunning, times: int) -> Callable[[], bool]:
    """What serve's loop does every half second, then: has it restarted the worker `times` times?"""
    def check() -> bool:
        kept.poll()
        return kept.restarts == times
    return check


def test_a_worker_that_dies_is_restarted_with_backoff(db: str) -> None:
    said: list[str] = []
    env = {**os.environ, "DATABASE_URL": db, "WORKER_POLL_SECONDS": "0.2"}
    kept = KeptRunning("the worker", [sys.executable, "-m", "compliance_app", "worker"], env, say=said.append,
                       first_delay=0.5, max_delay=4, stable_after=60)
    try:
        for round_ in (1, 2):
            victim = kept.proc
            time.sleep(1.5)  # running, not yet stable
            os.killpg(victim.pid, signal.SIGKILL)
            wait_until(_restarted(kept, round_), 20, f"restart {round_}")
            assert kept.proc.pid != victim.pid
        assert said == [
            "serve: the worker killed by SIGKILL unexpectedly; restarting it in 0.5 s",
            f"serve: the worker restarted (restart 1, pid {said[1].split('pid ')[1][:-1]})",
            "serve: the worker killed by SIGKILL unexpectedly; restarting it in 1 s",
            f"serve: the worker restarted (restart 2, pid {kept.proc.pid})",
        ]
        time.sleep(0.5)
        assert kept.proc.poll() is None  # the new worker stays up
    finally:
        kept.stop()
    assert kept.restart_at is None and kept.proc.poll() is not None  # stopped, and stays stopped


def test_a_worker_that_keeps_failing_waits_longer_each_time() -> None:
    said: list[str] = []
    failing = [sys.executable, "-c", "raise SystemExit(3)"]
    kept = KeptRunning("the worker", failing, dict(os.environ), say=said.append,
                       first_delay=0.1, max_delay=0.4, stable_after=60)
    try:
        wait_until(_restarted(kept, 4), 20, "four restarts")
    finally:
        kept.stop()
    waits = [line.rsplit(" in ", 1)[1] for line in said if "restarting it in" in line]
    assert waits[:4] == ["0.1 s", "0.2 s", "0.4 s", "0.4 s"]
    assert "serve: the worker exited with status 3 unexpectedly; restarting it in 0.1 s" in said
