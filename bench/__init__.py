"""Benchmarks: `python -m bench NAME`; each module has main(argv) -> exit code."""
