"""A browser tab without the browser: Reflex's Socket.IO event protocol, for load benchmarks and
websocket-level tests of the running app (`reflex run --env prod` on loopback).

    tab = Tab(base_url, cookie="ca_session=…")
    await tab.open("/o/acme", {"slug": "acme"})                 # a full page load: connect + hydrate + on_load
    await tab.wait(lambda d: d.get("dashboard_state", {}).get("loaded"))
    await tab.send(DashboardState.set_range, {"value": "90"})    # what a click sends
    await tab.navigate("/o/acme/audits/7", {"slug": "acme", "audit_id": "7"})   # a client-side link
    await tab.close()

What the page's JavaScript does (reflex_base/.templates/web/utils/state.js): it connects to the
`/_event` namespace at path `/_event` with `?token=<tab id>`, puts the `hydrate_and_load` event and
the compiled state schema in the CONNECT packet's auth, and sends each event as an "event" message
({name, payload, router_data}); the backend answers with "event" messages carrying state deltas.
On a first load the page still holds its compiled default state, so its hydrate carries that
state's per-substate hashes (reflex_base/compiler/templates.py, `initialEvents(first)`) and the
backend sends only the vars that differ; a tab does the same. The app has no client storage vars
(rx.Cookie / rx.LocalStorage), so neither payload carries any, and a client-side link sends only
`on_load_internal`. Deltas are keyed
by the substate's full name and `<var>_rx_state_`; `wait` hands predicates a simplified view:
{last part of the substate name: {var name: value}}.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections.abc import Callable
from typing import Any

import socketio

from compliance_app.state.session import SessionState

NAMESPACE = "/_event"
VAR_SUFFIX = "_rx_state_"

Delta = dict[str, dict[str, Any]]


class Disconnected(RuntimeError):
    """The server closed the websocket (or it failed) while the tab waited for an answer."""


def handler_name(handler: Any) -> str:
    """The wire name of a state's event handler (what the compiled page sends)."""
    state_cls = handler.state if hasattr(handler, "state") else None
    if state_cls is None:  # EventHandler of reflex 0.10: state_full_name + fn name
        return f"{handler.state_full_name}.{handler.fn.__name__}"
    return f"{state_cls.get_full_name()}.{handler.fn.__name__}"


def _simplify(delta: dict[str, Any]) -> Delta:
    simple: Delta = {}
    for substate, values in delta.items():
        short = substate.rsplit(".", 1)[-1].rsplit("____", 1)[-1]
        simple[short] = {k.removesuffix(VAR_SUFFIX): v for k, v in (values or {}).items()}
    return simple


@functools.cache
def compiled_defaults() -> tuple[list[str], str]:
    """What the compiled page holds about the state tree: the hashes of its default state (what
    the compiler bakes into `initialStateHashes`, reflex/compiler/compiler.py) and the state
    schema hash. Computed the compiler's way, once per process, with every page's states
    registered (importing the app module does that)."""
    from reflex.compiler.utils import compile_state
    from reflex.state import state_snapshot_hashes

    import compliance_app.compliance_app  # noqa: F401  (registers every page's states)

    root = SessionState.get_root_state()
    return state_snapshot_hashes(compile_state(root)), root._to_frontend_schema()


def _router_data(path: str, params: dict[str, str] | None) -> dict[str, Any]:
    data: dict[str, Any] = {"pathname": path, "asPath": path}
    if params:
        data["query"] = dict(params)
    return data


class Tab:
    """One browser tab: one websocket, one client token, the deltas it received."""

    def __init__(self, base_url: str, cookie: str = "", *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.cookie = cookie
        self.timeout = timeout
        self.token = str(uuid.uuid4())
        self.path = "/"
        self.params: dict[str, str] = {}
        self._updates: asyncio.Queue[Delta | None] = asyncio.Queue()
        self._sio: socketio.AsyncClient | None = None
        #: perf_counter() times of the last `open`: "connected" (the namespace's CONNECT answered)
        #: and "first delta" (the hydrate snapshot arrived), for benchmarks that split a page load.
        self.marks: dict[str, float] = {}

    async def open(self, path: str, params: dict[str, str] | None = None) -> None:
        """A full page load of `path` (each one a fresh page, as a browser's reload): connect with
        the first hydrate event in the CONNECT packet."""
        await self.close()
        self.path, self.params = path, dict(params or {})
        self._updates = asyncio.Queue()
        self.marks = {}
        sio = socketio.AsyncClient(reconnection=False)
        sio.on("event", self._on_update, namespace=NAMESPACE)
        sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        hashes, schema = compiled_defaults()
        hydrate = {"name": f"{SessionState.get_root_state().get_full_name()}.hydrate_and_load",
                   "payload": {"hashes": hashes}, "router_data": _router_data(path, params)}
        self._sio = sio
        await sio.connect(
            f"{self.base_url}?token={self.token}",
            headers={"Cookie": self.cookie} if self.cookie else {},
            auth={"event": hydrate, "state_schema": schema},
            transports=["websocket"],
            namespaces=[NAMESPACE],
            socketio_path=NAMESPACE,
            wait_timeout=self.timeout,
        )
        self.marks["connected"] = time.perf_counter()

    async def send(self, handler: Any, payload: dict[str, Any] | None = None) -> None:
        """Send an event as a click on the current page would."""
        if self._sio is None or not self._sio.connected:
            raise Disconnected("the tab is not connected")
        await self._sio.emit("event", {"name": handler if isinstance(handler, str) else handler_name(handler),
                                       "payload": payload or {},
                                       "router_data": _router_data(self.path, self.params)},
                             namespace=NAMESPACE)

    async def navigate(self, path: str, params: dict[str, str] | None = None) -> None:
        """A client-side link: the same websocket, the new page's on_load events."""
        self.path, self.params = path, dict(params or {})
        from reflex.state import OnLoadInternalState

        await self.send(f"{OnLoadInternalState.get_full_name()}.on_load_internal")

    async def wait(self, predicate: Callable[[Delta], Any], timeout: float | None = None) -> Delta:
        """The first delta (received from now on, or already queued) that satisfies `predicate`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.timeout if timeout is None else timeout)
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError("no answer in time")
            delta = await asyncio.wait_for(self._updates.get(), remaining)
            if delta is None:
                raise Disconnected("the server closed the websocket")
            if predicate(delta):
                return delta

    def drain(self) -> None:
        """Forget the deltas received so far (the next wait sees only newer ones)."""
        while not self._updates.empty():
            if self._updates.get_nowait() is None:
                self._updates.put_nowait(None)
                return

    async def close(self) -> None:
        if self._sio is not None:
            sio, self._sio = self._sio, None
            await sio.disconnect()

    async def _on_update(self, update: dict[str, Any]) -> None:
        delta = update.get("delta") or {}
        if delta:
            self.marks.setdefault("first delta", time.perf_counter())
            self._updates.put_nowait(_simplify(delta))

    async def _on_disconnect(self, *_args: Any) -> None:
        self._updates.put_nowait(None)


def var(delta: Delta, state: str, name: str, default: Any = None) -> Any:
    """`name` of the substate whose full name ends with `state` (e.g. "dashboard_state")."""
    return delta.get(state, {}).get(name, default)
