"""Hostile values: what an attacker, a fuzzer or a confused script sends instead of a real value.

Every URL-shaped value names a literal loopback, link-local or unresolvable-by-definition host, so
nothing here makes the code under test look up or reach a machine beyond this one.
"""

from __future__ import annotations

import enum
import os
import types
import typing
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Bounded and repeatable in CI (HOSTILE_EXAMPLES / HOSTILE_RANDOM=1 explore more by hand).
HOSTILE_SETTINGS = settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "25")),
    deadline=None,
    database=None,
    derandomize=os.environ.get("HOSTILE_RANDOM") != "1",
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)

INJECTION = [
    "' OR '1'='1", "'; DROP TABLE \"user\"; --", "\" OR 1=1 --", "1; SELECT pg_sleep(5)", "%' AND 1=0 UNION SELECT --",
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)", "data:text/html,<b>x",
    "{{7*7}}", "${7*7}", "${jndi:ldap://127.0.0.1/a}", "%s%s%s%n", "{0.__class__}", "\\", "\\'", "`id`", "$(id)",
    "../../../../etc/passwd", "..\\..\\..\\windows\\win.ini", "/etc/passwd", "file:///etc/passwd", "%2e%2e%2f%2e%2e%2f",
    "..%252f..%252f", "....//....//", "~/.ssh/id_rsa", "\\\\127.0.0.1\\share", "/dev/zero", "CON", "proof.png\x00.exe",
    "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:1/", "http://[::1]:1/", "http://0x7f000001/",
    "http://localhost./", "https://user:pass@127.0.0.1/", "gopher://127.0.0.1:25/", "http://127.0.0.1:99999/",
    "http://example.invalid/?a=1#f", "http://", "http:///x", "//127.0.0.1", "ftp://127.0.0.1/",
]
ODD_TEXT = [
    "", " ", "\t\n\r", "\x00", "a\x00b", "\x1b[31mred\x1b[0m", "\r\nSet-Cookie: x=1", "line\nbreak", "\x7f\x08",
    "\u202egnp.exe", "\ufeffbom", "\u200b", "\u2028\u2029", "e\u0301\u0301\u0301", "İı", "ß", "ﬀ", "😀" * 3,
    "\uff21\uff44\uff4d\uff49\uff4e",  # full-width "Admin"
    "👩\u200d👩\u200d👧", "\U0010ffff", "\ud800", "a\udcff", "null", "None", "undefined", "NaN", "true", "[]", "{}",
    "-1", "0", "1e309", "9" * 40, "0x10", "1_000", " 1 ",
    "\uff11\uff12\uff13", "\u00b2",  # full-width 123, superscript two (isdigit() but not int())
]
MALFORMED_UUIDS = [
    "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "not-a-uuid",
    "{12345678-1234-5678-1234-567812345678}", "12345678123456781234567812345678", "1234567-1234-5678-1234-567812345678",
    "12345678-1234-5678-1234-56781234567g", "12345678-1234-5678-1234-5678123456789",
    "urn:uuid:12345678-1234-5678-1234-567812345678",
    " 12345678-1234-5678-1234-567812345678 ", "12345678-1234-5678-1234-567812345678\x00",
]
NUMBERS: list[Any] = [-1, 0, 1, -(2**31), 2**31, 2**63, -(2**63) - 1, 2**64, 10**100, 1.5, -0.0, float("nan"),
                      float("inf"), float("-inf"), 1e308]
WRONG_TYPES: list[Any] = [None, True, False, [], {}, ["a"], {"a": 1}, b"bytes", b"\xff\xfe", 3.25]


def _huge(unit: str, count: int) -> str:
    return unit * count


huge_text = st.builds(_huge, st.sampled_from(["A", "é", "😀", "<b>", "\x00", "../"]),
                      st.sampled_from([256, 5_000, 70_000, 1_000_001]))
hostile_text = st.one_of(
    st.sampled_from(INJECTION), st.sampled_from(ODD_TEXT), st.sampled_from(MALFORMED_UUIDS), huge_text,
    st.text(max_size=40), st.text(st.characters(codec="utf-8"), min_size=1, max_size=8),
    st.uuids().map(str),  # well-formed, but names nothing
)
hostile_number = st.one_of(st.sampled_from(NUMBERS), st.integers(), st.floats())
#: Anything a JSON-speaking browser, a form or a Python caller could hand over.
hostile_value = st.one_of(hostile_text, hostile_number, st.sampled_from(WRONG_TYPES), st.uuids())


def argv_text(value: Any) -> str:
    """What a shell can pass as one argument: any text but NUL (the OS cannot carry it)."""
    return str(value).replace("\x00", "")


def cli_value() -> st.SearchStrategy[str]:
    return st.one_of(hostile_text, hostile_number.map(str)).map(argv_text)


#: Per Python type: hostile values that still honour a declared type (a typed caller's worst case).
_BY_TYPE: dict[type, st.SearchStrategy[Any]] = {
    str: hostile_text,
    int: st.one_of(st.sampled_from([n for n in NUMBERS if isinstance(n, int)]), st.integers()),
    float: st.floats(),
    bool: st.booleans(),
    bytes: st.one_of(st.binary(max_size=64), st.sampled_from([b"", b"\x00" * 10, b"%PDF-1.4", b"\x89PNG\r\n\x1a\n",
                                                               b"<svg onload=alert(1)>", b"A" * 3_000_000])),
    uuid.UUID: st.uuids(),
    date: st.dates(),
    datetime: st.one_of(st.datetimes(), st.datetimes(timezones=st.just(UTC)),
                        st.sampled_from([datetime.min, datetime.max.replace(tzinfo=UTC)])),
    timedelta: st.timedeltas(),
}


def for_annotation(annotation: Any) -> st.SearchStrategy[Any]:
    """Hostile values of a declared type: each member of a union, an enum's members and text, anything
    for an annotation this does not know."""
    if annotation is type(None):
        return st.none()
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return st.one_of(*(for_annotation(a) for a in args))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return st.one_of(st.sampled_from(list(annotation)), hostile_text)
    if typing.get_origin(annotation) in (list, tuple):
        return st.lists(for_annotation(args[0]) if args else hostile_value, max_size=4)
    for kind, strategy in _BY_TYPE.items():
        if annotation is kind:
            return strategy
    return hostile_value
