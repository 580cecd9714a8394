"""The catalog's coverage map: every check has a test proving its PASS, its FAIL and its ERROR.

Tests mark what they prove with tests/catalog_cases.py's `@covers(key, outcome, ...)`. This
module imports every test module that uses the mark (under tests/, on module-level test
functions and on methods of Test* classes), and fails listing each catalog key that lacks one
of the three outcomes, and each mark naming a key the catalog does not have (a renamed or
removed check whose tests would otherwise silently stop counting).
"""

from __future__ import annotations

import importlib
import inspect
from collections import defaultdict
from pathlib import Path
from types import ModuleType

from compliance_app.checks.registry import all_checks
from tests.catalog_cases import OUTCOMES

TESTS = Path(__file__).resolve().parents[1]
MARK = "@covers("


def _marked_modules() -> list[ModuleType]:
    """Every tests/**/test_*.py whose source uses @covers, imported (as pytest would)."""
    modules = []
    for path in sorted(TESTS.rglob("test_*.py")):
        if MARK in path.read_text(encoding="utf-8"):
            dotted = ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)
            modules.append(importlib.import_module(dotted))
    return modules


def _tests_of(module: ModuleType) -> list[tuple[str, object]]:
    """(qualified name, function) of the module's own test functions and Test* class methods."""
    found = []
    for name, obj in vars(module).items():
        if inspect.isfunction(obj) and name.startswith("test") and obj.__module__ == module.__name__:
            found.append((f"{module.__name__}::{name}", obj))
        elif inspect.isclass(obj) and name.startswith("Test") and obj.__module__ == module.__name__:
            found.extend((f"{module.__name__}::{name}::{attr}", fn) for attr, fn in vars(obj).items()
                         if inspect.isfunction(fn) and attr.startswith("test"))
    return found


def coverage() -> dict[str, dict[str, list[str]]]:
    """{key: {outcome: [tests proving it]}} over every marked test."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for module in _marked_modules():
        for name, fn in _tests_of(module):
            for key, outcome in getattr(fn, "__covers__", ()):
                found[key][outcome].append(name)
    return found


def missing_outcomes(found: dict[str, dict[str, list[str]]], catalog: set[str]) -> dict[str, list[str]]:
    """{key: [outcomes no test proves]} for the catalog keys with a gap."""
    gaps = {key: [o for o in OUTCOMES if not found.get(key, {}).get(o)] for key in sorted(catalog)}
    return {key: outcomes for key, outcomes in gaps.items() if outcomes}


def test_every_catalog_check_has_a_pass_a_fail_and_an_error_test() -> None:
    gaps = missing_outcomes(coverage(), {c.meta.key for c in all_checks()})
    listing = "\n".join(f"  {key}: no {', '.join(outcomes)} test" for key, outcomes in gaps.items())
    assert not gaps, (f"{len(gaps)} catalog check(s) lack tests; mark the test that proves each outcome with "
                      f"@covers(key, 'pass'|'fail'|'error') from tests/catalog_cases.py:\n{listing}")


def test_every_mark_names_a_catalog_check() -> None:
    catalog = {c.meta.key for c in all_checks()}
    stray = {key: sorted({t for tests in by_outcome.values() for t in tests})
             for key, by_outcome in coverage().items() if key not in catalog}
    assert not stray, f"@covers names keys the catalog does not have: {stray}"


def test_the_map_sees_a_gap_and_a_stray_mark() -> None:
    """The map itself can fail: a key with no error test and an unknown key are both reported."""
    found = {"known_check": {"pass": ["t1"], "fail": ["t2"]}}
    assert missing_outcomes(found, {"known_check", "untested_check"}) == {
        "known_check": ["error"], "untested_check": ["pass", "fail", "error"]}


def test_marks_on_class_methods_are_read() -> None:
    """A mark on a Test* class method counts like one on a function."""
    module = ModuleType("tests.fake_marked")

    class TestFamily:
        def test_one(self) -> None: ...
    TestFamily.__module__ = module.__name__
    TestFamily.test_one.__covers__ = [("k", "pass")]  # type: ignore[attr-defined]
    module.TestFamily = TestFamily  # type: ignore[attr-defined]
    assert [(name, fn.__covers__) for name, fn in _tests_of(module)] == [  # type: ignore[attr-defined]
        ("tests.fake_marked::TestFamily::test_one", [("k", "pass")])]
