"""`python -m bench [NAME [ARGS…]]`: run bench/NAME.py's main(), or every benchmark without NAME.

Each benchmark module defines `main()` or `main(argv)` returning an exit code (non-zero = missed
target); a `main()` without parameters reads the remaining arguments from sys.argv.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from pathlib import Path


def _names() -> list[str]:
    return sorted(i.name for i in pkgutil.iter_modules([str(Path(__file__).parent)]) if not i.name.startswith("_"))


def _main(name: str, argv: list[str]) -> int:
    """Call bench.NAME.main, passing the remaining arguments when it takes any."""
    entry = importlib.import_module(f"bench.{name}").main
    if inspect.signature(entry).parameters:
        return entry(argv) or 0
    sys.argv = [f"bench {name}", *argv]
    return entry() or 0


def run() -> int:
    args = sys.argv[1:]
    if args and args[0] in ("-h", "--help"):
        print(f"usage: python -m bench [NAME [ARGS...]]; benchmarks: {', '.join(_names())}")
        return 0
    if args:
        if args[0] not in _names():
            print(f"error: unknown benchmark '{args[0]}' (have: {', '.join(_names())})", file=sys.stderr)
            return 2
        return _main(args[0], args[1:])
    failed = 0
    for name in _names():
        print(f"== {name}")
        failed |= bool(_main(name, []))
    return 1 if failed else 0


raise SystemExit(run())
