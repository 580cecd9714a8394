"""The garbage collector settings the worker and the web backend run with (compliance_app/gc_tuning.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from compliance_app import gc_tuning
from compliance_app.worker import scheduler


def test_tune_freezes_what_the_process_holds_and_collects_less_often() -> None:
    # in a process of its own: the test process keeps CPython's defaults
    script = ("import gc; from compliance_app import gc_tuning; before = gc.get_freeze_count(); gc_tuning.tune(); "
              "print(gc.get_threshold(), before, gc.get_freeze_count() > 0)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[0] == f"{gc_tuning.THRESHOLDS} 0 True"


def test_the_worker_tunes_the_collector_after_loading_the_catalog_and_before_taking_work(monkeypatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(scheduler.engine, "ensure_questions", lambda checks: calls.append("catalog"))
    monkeypatch.setattr(scheduler.gc_tuning, "tune", lambda: calls.append("tune"))

    class _Stop(Exception):
        pass

    def build(**_: object) -> object:
        calls.append("scheduler")
        raise _Stop

    monkeypatch.setattr(scheduler, "build_scheduler", build)
    with pytest.raises(_Stop):
        scheduler.Worker().run()
    assert calls == ["catalog", "tune", "scheduler"]
