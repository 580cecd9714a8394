"""Scale-out and a Redis restart, on loopback.

Two production web processes, one private Redis, the test PostgreSQL, and nginx configured
by deploy/nginx.conf (tests/support/cluster.py). A signed-in browser works through nginx;
then the process holding its websocket is SIGKILLed (all of its processes at once, as a
machine that dies), and the same tab carries on through the other process: same Reflex
token, same page state (read back by a full reload, which takes the state from Redis), still
signed in. Then Redis itself is restarted empty: the user stays signed in (sessions live in
PostgreSQL) and the page comes back by itself or, at worst, after a reload.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from compliance_app.services.demo import DEMO_EMAIL, DEMO_ORG_SLUG, DEMO_PASSWORD, seed_demo
from tests.conftest import SCREENSHOTS, login, wait_for_app_hydration
from tests.support.cluster import Cluster, WebProcess, cluster

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = SCREENSHOTS / "scaleout"


@pytest.fixture(scope="module")
def two_processes(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with cluster(pg_url, tmp_path_factory.mktemp("scaleout"), processes=2) as running:
        yield running


def _wait(check: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _token(page: object) -> str:
    """The tab's Reflex client token: which state in Redis is this tab's."""
    return page.evaluate("window.sessionStorage.getItem('token')")  # type: ignore[attr-defined]


def _selected_range(page: object) -> str:
    """The label of the checked trend range (the control shows the backend's range_days)."""
    return page.evaluate(  # type: ignore[attr-defined]
        "document.querySelector('.trend-range [role=radio][aria-checked=true] "
        ".rt-SegmentedControlItemLabelActive')?.textContent ?? ''").strip()


def _choose_range(page: object, label: str) -> None:
    page.locator(".trend-range").get_by_role("radio", name=label).click()  # type: ignore[attr-defined]
    _wait(lambda: _selected_range(page) == label, 20, f"the trend range did not switch to {label}")


def _open_dashboard(page: object) -> None:
    page.goto(f"/o/{DEMO_ORG_SLUG}")  # type: ignore[attr-defined]
    wait_for_app_hydration(page)
    page.locator(".trend-range").wait_for(timeout=30_000)  # type: ignore[attr-defined]
    assert "/login" not in page.url  # type: ignore[attr-defined]


def _holder(running: Cluster) -> WebProcess:
    holders: list[WebProcess] = []

    def one_holds_it() -> bool:
        holders[:] = running.serving_websockets()
        return len(holders) == 1

    _wait(one_holds_it, 30, "no single web process holds the tab's websocket")
    return holders[0]


def test_a_tab_continues_on_the_other_process_when_its_process_dies(
    two_processes: Cluster, chromium, db: str
) -> None:
    seed_demo()
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(base_url=two_processes.url)
    try:
        login(context, two_processes.url, DEMO_EMAIL, DEMO_PASSWORD)
        page = context.new_page()
        _open_dashboard(page)
        _choose_range(page, "90 days")  # page state: held by the backend, not in the URL
        token = _token(page)
        first = _holder(two_processes)
        page.screenshot(path=str(SHOTS / "before-kill.png"), full_page=True)

        first.kill()
        second = _holder(two_processes)  # the tab reconnected through nginx on its own
        assert second is not first
        assert _token(page) == token, "the surviving process gave the tab a new (empty) state"
        _choose_range(page, "7 days")  # an event the surviving process answers
        assert first.proc.poll() is not None and _holder(two_processes) is second

        page.reload()  # a full load: the page is rebuilt from the state in Redis
        _open_dashboard(page)
        _wait(lambda: _selected_range(page) == "7 days", 20, "the page state did not survive the reload")
        assert _token(page) == token
        page.screenshot(path=str(SHOTS / "after-kill.png"), full_page=True)
    finally:
        context.close()


def test_a_redis_restart_keeps_users_signed_in_and_pages_recover(
    two_processes: Cluster, chromium, db: str, tmp_path: Path
) -> None:
    seed_demo()
    context = chromium.new_context(base_url=two_processes.url)
    try:
        login(context, two_processes.url, DEMO_EMAIL, DEMO_PASSWORD)
        page = context.new_page()
        _open_dashboard(page)
        _choose_range(page, "90 days")

        two_processes.redis.stop()  # every page's state is gone with it
        two_processes.redis.start()

        # Still signed in; the page comes back: by itself, or at worst after a reload.
        page.reload()
        _open_dashboard(page)
        _choose_range(page, "1 year")  # events are answered again
        page.reload()
        _open_dashboard(page)
        _wait(lambda: _selected_range(page) == "1 year", 20, "state is not kept in the restarted Redis")
        page.screenshot(path=str(tmp_path / "after-redis-restart.png"), full_page=True)
    finally:
        context.close()
