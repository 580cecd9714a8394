"""CloudWatch Logs JSON filter patterns, read semantically rather than compared as text.

The CIS metric-filter controls publish one pattern each, but accounts write the same filter
in many ways (spacing, quotes, parentheses, order of terms, CIS v1 vs v3 exclusions). Text
comparison would fail good filters and regular expressions would pass broken ones, so the
pattern is parsed into an expression and run against sample CloudTrail events: a filter
satisfies a control when it matches every event the control must catch and not the routine
event it must ignore.

Supported grammar (what CloudTrail metric filters use): `{ expr }` where expr combines, with
`&&`, `||` and parentheses, terms `$.a.b = value`, `!=`, `<`, `<=`, `>`, `>=`,
`$.a IS NULL`, `$.a NOT EXISTS`, `$.a EXISTS`; values are quoted strings, bare words
(`*` is a wildcard in both), numbers, true, false, null. Anything else raises PatternError:
a filter the reader does not understand never counts as monitoring.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

Event = dict[str, Any]
Matcher = Callable[[Event], bool]

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\))
    | (?P<kw>NOT\s+EXISTS|IS\s+NULL|EXISTS)\b
    | (?P<sel>\$(?:\.[A-Za-z0-9_\-]+|\[\d+\])+)
    | "(?P<str>(?:[^"\\]|\\.)*)"
    | (?P<word>[^\s()&|=!<>"]+)
    )""", re.VERBOSE)
_MISSING = object()


class PatternError(ValueError):
    """The filter pattern is not a JSON filter pattern this reader understands."""


def _tokens(text: str) -> list[tuple[str, str]]:
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise PatternError("not a JSON filter pattern (it must be enclosed in { })")
    body, pos, out = body[1:-1], 0, []
    while pos < len(body):
        if not body[pos:].strip():
            break
        m = _TOKEN.match(body, pos)
        if not m or m.end() == pos:
            raise PatternError(f"cannot read the pattern at {body[pos:pos + 20]!r}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        out.append((kind, " ".join(value.split()) if kind == "kw" else value))
        pos = m.end()
    return out


def _lookup(event: Event, selector: str) -> Any:
    value: Any = event
    for part in re.findall(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]", selector):
        key, index = part
        if key and isinstance(value, dict) and key in value:
            value = value[key]
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return _MISSING
    return value


def _equals(actual: Any, expected: tuple[str, str]) -> bool:
    kind, raw = expected
    if actual is _MISSING:
        return False
    if kind == "word" and raw in ("true", "false"):
        return actual is (raw == "true")
    if kind == "word" and raw == "null":
        return actual is None
    if isinstance(actual, bool | int | float) and kind == "word":
        try:
            return float(raw) == float(actual)
        except ValueError:
            return False
    return isinstance(actual, str) and fnmatchcase(actual, raw.replace("[", "[[]").replace("?", "[?]"))


def _compare(op: str, actual: Any, raw: str) -> bool:
    try:
        left, right = float(actual), float(raw)
    except (TypeError, ValueError):
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.pos = tokens, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise PatternError("the pattern ends too early")
        self.pos += 1
        return token

    def expr(self) -> Matcher:
        parts = [self.conj()]
        while self.peek() == ("op", "||"):
            self.take()
            parts.append(self.conj())
        return parts[0] if len(parts) == 1 else (lambda e, ps=tuple(parts): any(p(e) for p in ps))

    def conj(self) -> Matcher:
        parts = [self.unary()]
        while self.peek() == ("op", "&&"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda e, ps=tuple(parts): all(p(e) for p in ps))

    def unary(self) -> Matcher:
        if self.peek() == ("op", "("):
            self.take()
            inner = self.expr()
            if self.take() != ("op", ")"):
                raise PatternError("unbalanced parentheses")
            return inner
        kind, selector = self.take()
        if kind != "sel":
            raise PatternError(f"expected a $.field selector, found {selector!r}")
        kind, op = self.take()
        if kind == "kw":
            check = {"NOT EXISTS": lambda v: v is _MISSING, "EXISTS": lambda v: v is not _MISSING,
                     "IS NULL": lambda v: v is None}[op]
            return lambda e: check(_lookup(e, selector))
        if kind != "op" or op in ("(", ")", "&&", "||"):
            raise PatternError(f"expected a comparison after {selector}, found {op!r}")
        value = self.take()
        if value[0] not in ("str", "word"):
            raise PatternError(f"expected a value after {selector} {op}, found {value[1]!r}")
        if op == "=":
            return lambda e: _equals(_lookup(e, selector), value)
        if op == "!=":
            return lambda e: not _equals(_lookup(e, selector), value)
        return lambda e: _compare(op, _lookup(e, selector), value[1])


def compile_pattern(text: str) -> Matcher:
    """The pattern as a predicate over one CloudTrail event (raises PatternError).

    An empty pattern is CloudWatch's "match every event".
    """
    if not (text or "").strip():
        return lambda event: True
    parser = _Parser(_tokens(text))
    if parser.peek() is None:
        raise PatternError("the pattern is empty")
    matcher = parser.expr()
    if parser.peek() is not None:
        raise PatternError(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return matcher


def covers(text: str, must_match: list[Event], must_not_match: list[Event]) -> tuple[bool, str]:
    """(True, "") when the pattern catches every event of `must_match` and none of `must_not_match`;
    otherwise (False, the reason in words). Raises PatternError for a pattern this reader does not
    understand: the caller reports that as unreadable, not as a missing filter."""
    matcher = compile_pattern(text)
    missed = [e for e in must_match if not matcher(e)]
    if missed:
        return False, f"does not match {_describe(missed[0])}"
    noisy = [e for e in must_not_match if matcher(e)]
    if noisy:
        return False, f"also matches routine events such as {_describe(noisy[0])}"
    return True, ""


def _describe(event: Event) -> str:
    who = (event.get("userIdentity") or {}).get("type")
    error = f" failing with {event['errorCode']}" if event.get("errorCode") else ""
    return f"{event.get('eventName')} by {who}{error}"
