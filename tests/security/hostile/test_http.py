"""Every custom HTTP route with hostile requests: never a 500 or a traceback; a 4xx says why and writes nothing.

Routes come from compliance_app.api.collect_routes() (through tests/security/test_api_routes.py,
which makes every route declare itself), so a new route is fuzzed without being listed here. Each
request mixes: path parameters of organization A or hostile ones, hostile query strings, form
fields, raw bodies (invalid UTF-8 and percent escapes included), multipart files with hostile names
and contents, and hostile Origin, X-Forwarded-For, Content-Type, signature and cookie headers; sent
anonymously, as a viewer or as organization A's owner.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from compliance_app.api import create_api
from compliance_app.api.session_cookie import COOKIE_NAME
from tests.security.conftest import World, png_bytes, session_token
from tests.security.hostile.outcome import WriteGuard, run_each
from tests.security.hostile.strategies import HOSTILE_SETTINGS, hostile_text
from tests.security.test_api_routes import PARAMS, route_keys

#: Form fields the routes read (and one they do not), each sent or not.
FORM_FIELDS = ["email", "password", "password_confirm", "name", "next", "token", "disclosure", "unexpected"]
#: Tables a refused request may write on purpose: failed sign-ins and costly sign-ups are counted (throttle.py).
COUNTED_ON_REFUSAL = {"login_attempt"}
#: "Not available" answers given on purpose, with a message (billing not configured, database down).
DELIBERATE_5XX = {503}
HEADERS = ["origin", "x-forwarded-for", "content-type", "stripe-signature", "sec-fetch-site", "user-agent",
           "referer", "host"]


#: Servers in front of the app refuse longer request lines and headers (uvicorn's and nginx's limits are
#: lower still), and the test client cannot send a URL beyond 64 KiB: longer text goes in bodies only.
URL_PART_MAX = 2_000
HEADER_MAX = 8_000


def wire_text(value: str) -> str:
    """Text as a client can put it in a form: UTF-8 (lone surrogates replaced)."""
    return value.encode("utf-8", "replace").decode("utf-8")


def url_text(value: str) -> str:
    return wire_text(value)[:URL_PART_MAX]


def header_bytes(value: str) -> bytes:
    """A header value as bytes on the wire (its UTF-8); servers drop CR, LF and NUL before the app sees them."""
    return re.sub(rb"[\r\n\x00]", b"", value.encode("utf-8", "replace"))[:HEADER_MAX]


raw_bodies = st.one_of(
    st.binary(max_size=256),
    st.sampled_from([b"email=%ED%A0%80&password=%00", b"%%%", b"a=" + b"%FF" * 100, b"\xff\xfe\x00",
                     b'{"id": "evt", "type": "checkout.session.completed", "data": {"object": {}}}',
                     b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../a\"\r\n\r\nzz\r\n--x--",
                     b"A" * 2_000_000]),
)


def _send(data: st.DataObject, client: TestClient, method: str, path: str, world: World,
          cookie: bytes | None) -> httpx.Response:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if data.draw(st.booleans(), label=f"{name} valid"):
            return PARAMS[name](world)
        return quote(url_text(data.draw(hostile_text, label=name)), safe="")

    url = re.sub(r"{(\w+)(?::\w+)?}", fill, path)
    query = data.draw(st.dictionaries(st.sampled_from(["next", "error", "token", "page", "x"]),
                                      hostile_text.map(url_text), max_size=2), label="query")
    headers = {name: header_bytes(data.draw(hostile_text, label=name))
               for name in data.draw(st.lists(st.sampled_from(HEADERS), max_size=3, unique=True), label="headers")}
    if cookie is not None:
        headers["cookie"] = cookie
    if method == "GET":
        return client.request(method, url, params=query, headers=headers)
    body = data.draw(st.sampled_from(["form", "raw", "file", "none"]), label="body")
    if body == "form":
        fields = data.draw(st.lists(st.sampled_from(FORM_FIELDS), max_size=5, unique=True), label="fields")
        form = {name: wire_text(data.draw(hostile_text, label=name)) for name in fields}
        return client.request(method, url, params=query, data=form, headers=headers)
    if body == "raw":
        return client.request(method, url, params=query, content=data.draw(raw_bodies, label="raw"), headers=headers)
    if body == "file":
        name = wire_text(data.draw(hostile_text, label="filename"))
        content = data.draw(st.one_of(st.just(png_bytes()), st.binary(max_size=64), raw_bodies), label="file")
        headers.pop("content-type", None)  # multipart sets its own boundary
        return client.request(method, url, params=query, files={"file": (name, content, "image/png")},
                              headers=headers)
    return client.request(method, url, params=query, headers=headers)


def test_every_route_answers_hostile_requests_without_a_server_error(world: World) -> None:
    tokens = {role: session_token(world.user(role), f"hostile-{role}") for role in ("viewer", "admin")}

    def check(key: str) -> None:
        method, path = key.split(" ", 1)
        guard = WriteGuard(skip=COUNTED_ON_REFUSAL)
        client = TestClient(create_api(), follow_redirects=False)  # raises what the app lets escape

        @HOSTILE_SETTINGS
        @given(data=st.data())
        def call(data: st.DataObject) -> None:
            who = data.draw(st.sampled_from(["anonymous", "viewer", "admin", "forged"]), label="caller")
            cookie = {
                "anonymous": None,
                "forged": f"{COOKIE_NAME}=".encode() + header_bytes(data.draw(hostile_text, label="cookie")),
            }.get(who, f"{COOKIE_NAME}={tokens.get(who)}".encode())
            guard.before()
            response = _send(data, client, method, path, world, cookie)
            assert response.status_code < 500 or response.status_code in DELIBERATE_5XX, \
                f"{response.status_code}: {response.text[:300]}"
            assert "Traceback" not in response.text
            if response.status_code < 400:
                guard.succeeded()
                return
            assert response.content.strip(), f"{response.status_code} without a message"
            assert not guard.refused(), f"a refused request ({response.status_code}) wrote to the database"

        call()

    keys = sorted({f"{method} {path}" for method, path, _route in route_keys()})
    problems = run_each(keys, check)
    assert not problems, "\n".join(problems)
