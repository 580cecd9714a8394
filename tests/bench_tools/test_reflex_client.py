"""The load client's page load sends what the compiled page sends: the hydrate carries
the hashes of the default state the page was compiled with, and the CONNECT auth carries its state
schema, so the backend answers with only the vars that differ, as it does for a browser."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import socketio

import compliance_app.compliance_app  # noqa: F401  (registers every page's states, as the build does)
from compliance_app.state.session import SessionState
from tests.support.reflex_client import Tab


def _compiled_page() -> tuple[list[str], str]:
    """initialStateHashes and stateSchema as the compiler writes them into the page's context."""
    from reflex.compiler.compiler import compile_contexts

    _path, code = compile_contexts(SessionState.get_root_state(), None)
    hashes = re.search(r"^export const initialStateHashes = (.*)$", code, re.M)
    schema = re.search(r"^export const stateSchema = (.*)$", code, re.M)
    assert hashes and schema
    return json.loads(hashes.group(1)), json.loads(schema.group(1))


def test_page_load_sends_the_compiled_pages_hashes_and_schema(monkeypatch) -> None:
    sent: dict[str, Any] = {}

    async def connect(self, url: str, **kwargs: Any) -> None:
        sent.update(kwargs["auth"])

    monkeypatch.setattr(socketio.AsyncClient, "connect", connect)
    asyncio.run(Tab("http://127.0.0.1:9").open("/o/acme", {"slug": "acme"}))
    hashes, schema = _compiled_page()
    assert len(hashes) > 1
    assert sent["event"]["payload"] == {"hashes": hashes}
    assert sent["event"]["name"].endswith(".hydrate_and_load")
    assert sent["state_schema"] == schema
