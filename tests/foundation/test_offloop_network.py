"""Calls that wait on another server never hold the threads page loads need (state/offloop.py)."""

from __future__ import annotations

import asyncio
import threading

from compliance_app.state import offloop


def test_page_work_runs_while_every_network_thread_waits() -> None:
    release = threading.Event()

    async def scenario() -> str:
        waiting = [asyncio.create_task(offloop.run_network(release.wait, 10))
                   for _ in range(offloop.NETWORK_WORKERS + offloop.WORKERS)]
        try:
            # Every network thread (and as many more calls) is stuck on a "slow server"; a page load still runs.
            return await asyncio.wait_for(offloop.run(lambda: "page loaded"), timeout=5)
        finally:
            release.set()
            await asyncio.gather(*waiting)

    assert asyncio.run(scenario()) == "page loaded"
