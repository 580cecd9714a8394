"""Readiness per framework: the share of mapped, scoreable checks that pass.

A pure function over evidence dicts so every screen computes it the same way: the public
share page and its PDF (from snapshot data), and the dashboard (from live evidence).
Each evidence dict needs only:

    {"status": "PASS" | "FAIL" | "RISK_ACCEPTED" | "ERROR",
     "frameworks": {"SOC 2": ["CC6.1"], "CIS": ["1.5"], "ISO 27001": ["5.17"]}}

RISK_ACCEPTED counts as passing (the same rule as the score, DESIGN.md §4); ERROR is
excluded from both sides because a check that could not run proves nothing either way.
A framework with nothing scoreable has readiness None (unknown), never 100.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

#: The frameworks the product reports on, in display order (checks/base.py FRAMEWORKS).
FRAMEWORKS: tuple[str, ...] = ("SOC 2", "CIS", "ISO 27001")

_PASSING = frozenset({"PASS", "RISK_ACCEPTED"})
_SCOREABLE = frozenset({"PASS", "FAIL", "RISK_ACCEPTED"})


@dataclass(frozen=True)
class FrameworkReadiness:
    framework: str
    passing: int
    failing: int
    errors: int
    #: 0-100 rounded, or None when no mapped check was scoreable.
    percent: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def framework_readiness(
    evidence: Iterable[Mapping[str, Any]], frameworks: Iterable[str] = FRAMEWORKS
) -> list[FrameworkReadiness]:
    """One FrameworkReadiness per framework, in the order given, counting evidence rows."""
    names = list(frameworks)
    passing = dict.fromkeys(names, 0)
    failing = dict.fromkeys(names, 0)
    errors = dict.fromkeys(names, 0)
    for row in evidence:
        status = str(row.get("status", ""))
        for name in row.get("frameworks") or {}:
            if name not in passing:
                continue
            if status in _PASSING:
                passing[name] += 1
            elif status in _SCOREABLE:
                failing[name] += 1
            else:
                errors[name] += 1
    result = []
    for name in names:
        total = passing[name] + failing[name]
        percent = round(100 * passing[name] / total) if total else None
        result.append(FrameworkReadiness(name, passing[name], failing[name], errors[name], percent))
    return result
