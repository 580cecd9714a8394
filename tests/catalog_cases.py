"""The catalog's coverage map: which test proves which outcome of which check.

Every check in the catalog needs a test that sees it PASS, one that sees it FAIL and one that
sees it ERROR on unreadable data. A test says what it proves with `@covers(key, outcome, ...)`
(or several keys at once, for a test parametrized over a family of checks);
tests/checks_catalog/test_coverage_map.py reads the marks and fails for any catalog key that
lacks one of the three, so an untested check cannot enter the catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

OUTCOMES = ("pass", "fail", "error")
F = TypeVar("F", bound=Callable[..., Any])


def covers(keys: str | Iterable[str], *outcomes: str) -> Callable[[F], F]:
    """Record on the test function that it proves `outcomes` for the check(s) `keys`."""
    names = [keys] if isinstance(keys, str) else list(keys)
    unknown = [o for o in outcomes if o not in OUTCOMES]
    if not outcomes or unknown:
        raise ValueError(f"covers() needs outcomes among {OUTCOMES}, got {outcomes!r}")

    def mark(fn: F) -> F:
        existing = list(getattr(fn, "__covers__", ()))
        existing.extend((key, outcome) for key in names for outcome in outcomes)
        fn.__covers__ = existing  # type: ignore[attr-defined]
        return fn

    return mark
