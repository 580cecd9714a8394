"""Scale-out on loopback: a private Redis, several web processes and nginx in front of them.

The scale-out tests and `python -m bench ui_load_cluster` build the same deployment that
docs/deploy.md describes: production web processes (the first one `python -m compliance_app
serve --no-worker`, which builds the frontend; the others serve that build) on free ports,
all against one PostgreSQL and one Redis, behind nginx configured by deploy/nginx.conf itself
(only the upstream servers, the listen address and the log path are rewritten). Nothing here
touches the machine's shared Redis or a fixed port.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import httpx
import psutil

from compliance_app.commands.serve import stop_process_group
from compliance_app.settings import PROJECT_ROOT
from tests.conftest import app_env, free_port

NGINX_CONF = PROJECT_ROOT / "deploy" / "nginx.conf"
_UPSTREAMS = re.compile(r"(# BEGIN web processes[^\n]*\n)(.*?)(\s*# END web processes)", re.DOTALL)


def _wait(check: Callable[[], object], timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
            raise TimeoutError(f"{what} within {timeout:g} s\n{tail}")
        time.sleep(0.2)


class RedisServer:
    """`redis-server` on a free loopback port, no persistence; restartable on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.log = workdir / "redis.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not installed: `apt-get install -y redis-server`")
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as sink:
            self.proc = subprocess.Popen(
                [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.workdir)],
                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
            )
        _wait(self.ping, 15, "redis-server did not answer", self.log)

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            stop_process_group(self.proc, timeout=10)
            self.proc = None


def _kill_all(pids: list[int]) -> None:
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class WebProcess:
    """One `serve --no-worker` (Reflex production mode: one port for pages, API and websocket)."""

    def __init__(self, name: str, workdir: Path, env: dict[str, str], web_workers: int = 1,
                 prebuilt: bool = False) -> None:
        """`prebuilt`: serve the frontend the first process built (tests/support/prebuilt_web.py)
        instead of building it again."""
        self.name, self.workdir = name, workdir
        self.port = free_port()
        self.log = workdir / f"{name}.log"
        workdir.mkdir(parents=True, exist_ok=True)
        if prebuilt:
            command = [sys.executable, "-m", "tests.support.prebuilt_web", "--host", "127.0.0.1",
                       "--port", str(self.port)]
            env = {**env, "GRANIAN_WORKERS": str(web_workers)}
        else:
            command = [sys.executable, "-m", "compliance_app", "serve", "--no-worker", "--port", str(self.port),
                       "--host", "127.0.0.1", "--web-workers", str(web_workers)]
        with self.log.open("w") as sink:
            self.proc = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=sink,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"web process {self.name} exited early:\n{self.log.read_text()[-3000:]}")
        try:
            return httpx.get(f"http://{self.address}/api/health", timeout=2).status_code == 200 and \
                httpx.get(f"http://{self.address}/", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def open_connections(self) -> int:
        """Established TCP connections to this process (nginx opens none that stay idle: an
        open one is a websocket it forwards)."""
        return sum(1 for c in psutil.net_connections(kind="tcp")
                   if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == self.port)

    def pids(self) -> list[int]:
        """serve and every process under it (Reflex's server and its backend workers)."""
        try:
            root = psutil.Process(self.proc.pid)
            return [root.pid, *(child.pid for child in root.children(recursive=True))]
        except psutil.NoSuchProcess:
            return []

    def kill(self) -> None:
        """SIGKILL the whole process tree at once, as a machine that dies would leave it."""
        _kill_all(self.pids())
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # serve stops its Reflex process group
            try:
                self.proc.wait(25)
            except subprocess.TimeoutExpired:
                self.kill()
        _kill_all(self.pids())  # anything left of a serve that had to be killed


def render_nginx_site(upstreams: list[str], listen: str, access_log: Path) -> str:
    """deploy/nginx.conf with these upstream servers, listen address and access log."""
    site = NGINX_CONF.read_text()
    servers = "".join(f"    server {address} max_fails=1 fail_timeout=10s;\n" for address in upstreams)
    site, count = _UPSTREAMS.subn(lambda m: m.group(1) + servers.rstrip("\n"), site)
    assert count == 1, "deploy/nginx.conf lost its '# BEGIN/END web processes' markers"
    site, count = re.subn(r"listen 80;", f"listen {listen};", site)
    assert count == 1, "deploy/nginx.conf lost its 'listen 80;' line"
    site, count = re.subn(r"access_log \S+ compliance_app;", f"access_log {access_log} compliance_app;", site)
    assert count == 1, "deploy/nginx.conf lost its access_log line"
    return site


class Nginx:
    """Debian's nginx as this user, in the foreground, every path under its own prefix."""

    def __init__(self, workdir: Path, upstreams: list[str], port: int) -> None:
        executable = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        if executable is None:
            raise RuntimeError("nginx is not installed: `apt-get install -y nginx-light` (make browser does)")
        self.workdir, self.port = workdir, port
        self.access_log = workdir / "access.log"
        self.error_log = workdir / "error.log"
        workdir.mkdir(parents=True, exist_ok=True)
        self._write_site(upstreams)
        temp = workdir / "temp"
        temp.mkdir(exist_ok=True)
        (workdir / "nginx.conf").write_text(
            f"daemon off;\nworker_processes 1;\npid {workdir / 'nginx.pid'};\nerror_log {self.error_log} warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            f"    client_body_temp_path {temp}/body;\n    proxy_temp_path {temp}/proxy;\n"
            f"    fastcgi_temp_path {temp}/fastcgi;\n    uwsgi_temp_path {temp}/uwsgi;\n"
            f"    scgi_temp_path {temp}/scgi;\n"
            f"    include {workdir / 'site.conf'};\n"
            "}\n"
        )
        with (workdir / "nginx.out").open("w") as sink:
            self.proc = subprocess.Popen(
                [executable, "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-e", str(self.error_log)],
                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
            )
        _wait(self._listening, 15, "nginx did not start", self.error_log)

    def _write_site(self, upstreams: list[str]) -> None:
        site = render_nginx_site(upstreams, f"127.0.0.1:{self.port}", self.access_log)
        (self.workdir / "site.conf").write_text(site)

    def set_upstreams(self, upstreams: list[str]) -> None:
        """Forward to these web processes from now on (nginx reloads its configuration on SIGHUP)."""
        self._write_site(upstreams)
        self.proc.send_signal(signal.SIGHUP)
        time.sleep(2)  # the new worker takes over; the old one finishes what it holds

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _listening(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"nginx exited:\n{(self.workdir / 'nginx.out').read_text()}"
                               f"{self.error_log.read_text() if self.error_log.exists() else ''}")
        try:
            httpx.get(f"{self.url}/ping", timeout=2)
            return True
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        stop_process_group(self.proc, timeout=10)


class Cluster:
    """The running pieces, for tests to reach and break."""

    def __init__(self, redis: RedisServer, webs: list[WebProcess], nginx: Nginx) -> None:
        self.redis, self.webs, self.nginx = redis, webs, nginx

    @property
    def url(self) -> str:
        return self.nginx.url

    def serving_websockets(self) -> list[WebProcess]:
        """The web processes that hold an open connection (a browser's event websocket) now."""
        return [web for web in self.webs if web.proc.poll() is None and web.open_connections() > 0]


@contextmanager
def cluster(database_url: str, workdir: Path, processes: int = 2, web_workers: int = 1,
            extra_env: dict[str, str] | None = None) -> Iterator[Cluster]:
    """Redis, `processes` web processes and nginx, started in that order; all stopped at the end.

    The first web process (`serve --no-worker`) builds the frontend, the others serve that
    build (tests/support/prebuilt_web.py); APP_URL is nginx's address, which is also the only trusted proxy.
    """
    with ExitStack() as stack:
        redis = RedisServer(workdir / "redis")
        stack.callback(redis.stop)
        redis.start()
        nginx_port = free_port()  # APP_URL must be known before the web processes build
        webs = []
        # Every process serves one build: the first one's (its work directory).
        env = app_env(database_url, workdir / "build")
        env.update({"REDIS_URL": redis.url, "APP_URL": f"http://127.0.0.1:{nginx_port}",
                    "TRUSTED_PROXIES": "127.0.0.1/32", **(extra_env or {})})
        for index in range(processes):
            web = WebProcess("abcdefgh"[index], workdir, env, web_workers=web_workers, prebuilt=index > 0)
            stack.callback(web.stop)
            webs.append(web)
            _wait(web.healthy, 300, f"web process {web.name} was not healthy", web.log)
        nginx = Nginx(workdir / "nginx", [web.address for web in webs], nginx_port)
        stack.callback(nginx.stop)
        yield Cluster(redis, webs, nginx)
