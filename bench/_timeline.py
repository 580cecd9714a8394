"""Where a scan's time goes: requests in flight per provider and checks running, over the scan.

bench/scan_latency.py --timeline FILE writes the raw timeline (JSON) and prints `summary()`:
a scan reaches W ≈ C + W0 only if the bounded pools stay full, so the printout shows, per
slice of the scan, how many requests of each provider were in flight on average (the GitHub
pool holds at most 8, AWS's 32) and how many checks ran, then the checks that took longest.
All times are time.monotonic() seconds (one clock for every process of the machine),
printed relative to the scan's start.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

_SLICES = 12
_LONGEST_CHECKS = 8


def _busy(intervals: list[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of `intervals` inside [start, end): the average in flight there, times end - start."""
    return sum(max(0.0, min(b, end) - max(a, start)) for a, b in intervals)


def summary(timeline: dict[str, Any]) -> list[str]:
    """Compact lines: per provider in flight, checks running, per slice; the longest checks."""
    began = timeline["began"]
    ended = began + timeline["wall"]
    requests: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for start, end, service in timeline["requests"]:
        requests["github" if service == "github" else "aws"].append((start, end))
    checks = [(key, start, end) for key, _thread, start, end in timeline["checks"]]
    step = (ended - began) / _SLICES
    lines = [f"  timeline ({len(checks)} checks; in flight = average requests waiting on the network):"]
    for provider, spans in sorted(requests.items()):
        first = min(a for a, _ in spans) - began
        last = max(b for _, b in spans) - began
        lines.append(f"    {provider:6s} {len(spans):5d} requests from {first:6.2f} s to {last:6.2f} s, "
                     f"{_busy(spans, began, ended) / (last - first or 1):.1f} in flight on average then")
    lines.append("    slice (s)     " + "  ".join(f"{p:>6s}" for p in sorted(requests)) + "  checks")
    check_spans = [(a, b) for _, a, b in checks]
    for i in range(_SLICES):
        a, b = began + i * step, began + (i + 1) * step
        flight = "  ".join(f"{_busy(requests[p], a, b) / step:6.1f}" for p in sorted(requests))
        lines.append(f"    {a - began:5.1f}-{b - began:5.1f}  {flight}  {_busy(check_spans, a, b) / step:6.1f}")
    lines.append("    longest checks (start-end s):")
    for key, a, b in sorted(checks, key=lambda c: c[1] - c[2])[:_LONGEST_CHECKS]:
        lines.append(f"      {a - began:6.2f}-{b - began:6.2f}  {key}")
    return lines


def write(path: str, timeline: dict[str, Any]) -> None:
    with open(path, "w") as out:
        json.dump(timeline, out)
