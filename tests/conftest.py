"""Test-wide fixtures: a throwaway PostgreSQL database per test run, migrated to head.

Tests use the real PostgreSQL (never a mocked database). Each test starts from empty
tables: an autouse fixture empties everything afterwards, which also works when the
code under test commits from threads or other processes (worker tests).
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.github_server import github_server  # noqa: F401 - shared GitHub stand-in fixture
from tests.support.scratch_db import PG_ADMIN_URL, admin_engine, scratch_database

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))  # random per run, shared with subprocesses
#: One Ed25519 snapshot-signing key per run (base64 of 32 random bytes), shared the same way.
os.environ.setdefault("SIGNING_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
os.environ["REFLEX_TELEMETRY_ENABLED"] = "false"
#: The GitHub and AWS stand-ins listen on 127.0.0.1; tests of the SSRF rule turn it off again.
os.environ.setdefault("ALLOW_PRIVATE_ENDPOINTS", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last. Playwright's sync API keeps an event loop running on the main thread
    for the rest of the session once the chromium fixture starts, so any later test that calls
    asyncio.run (page handlers, streaming ASGI bodies) would fail depending on file order."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """Create ca_test_<random>, migrate it, point DATABASE_URL at it, drop it at the end."""
    admin = admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc.orig}", pytrace=False)
    finally:
        admin.dispose()
    with scratch_database("ca_test") as url:
        yield url


_EMPTY_TABLES: list[str] = []


@pytest.fixture(autouse=True)
def clean_db(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table after each test that used the database.

    DELETE child tables first, then restart the sequences: as clean as TRUNCATE ... RESTART IDENTITY,
    but ~5 ms instead of ~100 ms on tables this small, which over ~1,500 tests is minutes of CI."""
    yield
    if "pg_url" not in request.fixturenames:
        return
    from sqlmodel import SQLModel

    from compliance_app.db import get_engine

    with get_engine().begin() as conn:
        if not _EMPTY_TABLES:
            sequences = conn.execute(sa.text(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences "
                "WHERE schemaname = current_schema()")).scalars()
            _EMPTY_TABLES.append("; ".join(
                [f'DELETE FROM "{t.name}"' for t in reversed(SQLModel.metadata.sorted_tables)]
                + [f"ALTER SEQUENCE {name} RESTART" for name in sequences]))
        conn.exec_driver_sql(_EMPTY_TABLES[0])


@pytest.fixture
def db(pg_url: str) -> str:
    """Request this (or pg_url) in any test that touches the database."""
    os.environ["DATABASE_URL"] = pg_url
    return pg_url


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Uploaded files go to a per-test DATA_DIR (settings are re-read on both sides)."""
    from compliance_app.settings import get_settings

    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `compliance_app ARGS…` in-process: (exit code, stdout, stderr)."""
    from compliance_app.cli import main

    monkeypatch.setattr(sys, "argv", ["compliance_app", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    return exit_info.value.code or 0, out, err


# --- the running app and a browser, for journey tests -------------------------------------

import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import httpx  # noqa: E402

from compliance_app.commands.serve import stop_process_group  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUN_DIR = PROJECT_ROOT / ".tools" / "node_modules" / "@oven" / "bun-linux-x64" / "bin"
#: Browser tests save their pictures here; `make screenshots` (UPDATE_SCREENSHOTS=1) refreshes docs/.
SCREENSHOTS = (
    PROJECT_ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "compliance_app-screenshots"
)
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(database_url: str, workdir: Path) -> dict[str, str]:
    """Environment for a Reflex process that builds offline into its own work dir."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "PATH": f"{BUN_DIR}:{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_WEB_WORKDIR": str(workdir / ".web"),
        "REFLEX_STATES_WORKDIR": str(workdir / ".states"),
        "APP_URL": "",
    }


@pytest.fixture(scope="session")
def live_app(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`reflex run --env prod` on a free loopback port against the test database."""
    if not (BUN_DIR / "bun").exists():
        pytest.fail("bun is missing: run `make bun` (the Makefile installs it from the npm registry)")
    workdir = tmp_path_factory.mktemp("reflex")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = app_env(pg_url, workdir)
    env["APP_URL"] = base_url
    log = open(workdir / "reflex.log", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "reflex"), "run", "--env", "prod",
         "--frontend-port", str(port), "--backend-port", str(port), "--loglevel", "warning"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 240
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the app exited early; see {workdir / 'reflex.log'}:\n"
                            + (workdir / "reflex.log").read_text()[-3000:])
            try:
                if httpx.get(f"{base_url}/api/health", timeout=2).status_code == 200 and \
                        httpx.get(f"{base_url}/", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the app did not become healthy within 240 s:\n"
                            + (workdir / "reflex.log").read_text()[-3000:])
            time.sleep(1)
        yield base_url
    finally:
        stop_process_group(proc, timeout=20)
        log.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's chromium driven by Playwright (never `playwright install`)."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (.ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def login(context: object, base_url: str, email: str, password: str, next_path: str = "/") -> None:
    """Sign a browser context in through the cookie route, as the login form would (same origin)."""
    response = context.request.post(  # type: ignore[attr-defined]
        "/api/auth/login", form={"email": email, "password": password, "next": next_path},
        headers={"origin": base_url},
    )
    assert response.ok and "/login" not in response.url, f"sign-in as {email} failed: {response.url}"


def wait_for_app_hydration(page: object) -> None:
    """Reflex pages render before the websocket connects; wait until events can flow."""
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
