"""`python -m bench [NAME [ARGS…]]`: run bench/NAME.py's main(), or every benchmark without NAME.

Each benchmark module defines `main(argv: list[str] | None) -> int` (non-zero = missed target).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def _names() -> list[str]:
    return sorted(i.name for i in pkgutil.iter_modules([str(Path(__file__).parent)]) if not i.name.startswith("_"))


def run() -> int:
    args = sys.argv[1:]
    if args and args[0] in ("-h", "--help"):
        print(f"usage: python -m bench [NAME [ARGS...]]; benchmarks: {', '.join(_names())}")
        return 0
    if args:
        if args[0] not in _names():
            print(f"error: unknown benchmark '{args[0]}' (have: {', '.join(_names())})", file=sys.stderr)
            return 2
        return importlib.import_module(f"bench.{args[0]}").main(args[1:]) or 0
    failed = 0
    for name in _names():
        print(f"== {name}")
        failed |= bool(importlib.import_module(f"bench.{name}").main([]))
    return 1 if failed else 0


raise SystemExit(run())
