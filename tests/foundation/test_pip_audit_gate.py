"""The dependency audit's own rules (.ci/pip_audit_gate.py): what fails CI and what an allow-list allows."""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

_spec = importlib.util.spec_from_file_location("pip_audit_gate", PROJECT_ROOT / ".ci" / "pip_audit_gate.py")
gate = importlib.util.module_from_spec(_spec)
sys.modules["pip_audit_gate"] = gate  # dataclasses resolve their module while the class is built
_spec.loader.exec_module(gate)

TODAY = date(2026, 12, 1)
NO_FIX = gate.Vulnerability("jinja2", "3.1.6", "GHSA-aaaa-bbbb-cccc", ("CVE-2026-0001",))
FIXED = gate.Vulnerability("requests", "2.34.2", "PYSEC-2026-7", (), ("2.34.3",))


def allowance(vuln_id: str = "GHSA-aaaa-bbbb-cccc", package: str = "Jinja2",
              review_by: date = date(2027, 1, 31)) -> object:
    return gate.Allowance(vuln_id, gate.normalize(package), "only reachable through a feature we do not use",
                          review_by)


def test_a_vulnerability_without_an_entry_fails() -> None:
    verdict = gate.judge([NO_FIX], [], TODAY)
    assert len(verdict.failures) == 1 and "GHSA-aaaa-bbbb-cccc" in verdict.failures[0]


def test_a_listed_vulnerability_without_a_fix_passes_until_its_review_date() -> None:
    for entry in (allowance(), allowance("CVE-2026-0001"), allowance(review_by=TODAY)):
        verdict = gate.judge([NO_FIX], [entry], TODAY)
        assert verdict.failures == [], entry
        assert any("allowed until" in note for note in verdict.notes)


def test_an_entry_for_another_package_does_not_allow_it() -> None:
    assert gate.judge([NO_FIX], [allowance(package="markupsafe")], TODAY).failures


def test_an_expired_entry_fails_whether_or_not_it_still_matches() -> None:
    expired = allowance(review_by=date(2026, 11, 30))
    assert any("due for review" in f for f in gate.judge([NO_FIX], [expired], TODAY).failures)
    assert any("due for review" in f for f in gate.judge([], [expired], TODAY).failures)


def test_a_vulnerability_with_a_fixed_release_fails_even_when_listed() -> None:
    verdict = gate.judge([FIXED], [allowance("PYSEC-2026-7", "requests")], TODAY)
    assert len(verdict.failures) == 1
    assert "2.34.3" in verdict.failures[0] and "no longer applies" in verdict.failures[0]


def test_an_entry_nothing_matches_is_only_a_note() -> None:
    verdict = gate.judge([], [allowance()], TODAY)
    assert verdict.failures == [] and "matched nothing" in verdict.notes[0]


def test_allow_list_entries_need_every_field_and_a_real_date(tmp_path: Path) -> None:
    path = tmp_path / "allow.toml"
    path.write_text('[[allow]]\nid = "X"\npackage = "p"\nreason = "r"\nreview_by = 2027-01-31\n')
    assert gate.load_allow_list(path)[0].review_by == date(2027, 1, 31)
    path.write_text('[[allow]]\nid = "X"\npackage = "p"\nreview_by = 2027-01-31\n')
    with pytest.raises(ValueError, match="reason"):
        gate.load_allow_list(path)
    path.write_text('[[allow]]\nid = "X"\npackage = "p"\nreason = "r"\nreview_by = "soon"\n')
    with pytest.raises(ValueError, match="date"):
        gate.load_allow_list(path)


def test_the_projects_files_are_valid() -> None:
    pins = gate.read_pins(PROJECT_ROOT / "requirements.txt")
    assert pins["jinja2"] and pins["pygithub"], "names are normalized"
    assert all(entry.review_by >= TODAY for entry in gate.load_allow_list(PROJECT_ROOT / ".ci/pip-audit-allow.toml"))


def test_unpinned_requirements_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("alembic==1.20.1\nrequests>=2\n")
    with pytest.raises(ValueError, match="requests>=2"):
        gate.read_pins(path)


def _project(version: str, vulns: list[dict]) -> dict:
    return {"info": {"version": version}, "vulnerabilities": vulns}


def test_skipped_pins_fall_back_to_the_latest_releases_advisories() -> None:
    pins = {"jinja2": "3.1.6", "redis": "7.4.1", "attrs": "26.1.0", "idna": "3.20"}
    report = {"dependencies": [
        {"name": "Jinja2", "skip_reason": "Dependency not found on PyPI and could not be audited"},
        {"name": "redis", "skip_reason": "Dependency not found on PyPI and could not be audited"},
        {"name": "attrs", "skip_reason": "Dependency not found on PyPI and could not be audited"},
        {"name": "idna", "version": "3.20", "vulns": [{"id": "PYSEC-1", "fix_versions": ["3.21"], "aliases": []}]},
    ]}
    projects = {
        "jinja2": _project("3.1.6", [{"id": "GHSA-1", "aliases": ["CVE-1"], "fixed_in": [], "withdrawn": None},
                                     {"id": "GHSA-old", "aliases": [], "fixed_in": [], "withdrawn": "2026-01-01"}]),
        "redis": _project("8.1.0", [{"id": "GHSA-2", "aliases": [], "fixed_in": ["8.1.1"], "withdrawn": None}]),
        "attrs": None,  # PyPI unreachable for this one
    }
    vulns, unaudited = gate.audit(report, pins, fetch=projects.get)
    assert {(v.package, v.id) for v in vulns} == {("idna", "PYSEC-1"), ("jinja2", "GHSA-1")}
    assert unaudited == ["redis 7.4.1 (latest 8.1.0)", "attrs 26.1.0"]


def _fake_pip_audit(tmp_path: Path, report: dict | None) -> str:
    """An executable standing in for pip-audit: writes REPORT where --output says (or crashes)."""
    script = tmp_path / "pip-audit"
    body = (f"out = sys.argv[sys.argv.index('--output') + 1]\nopen(out, 'w').write({json.dumps(report)!r})\n"
            "sys.exit(1)" if report is not None else "sys.exit('resolver exploded')")
    script.write_text(f"#!{sys.executable}\nimport sys\n" + textwrap.dedent(body) + "\n")
    script.chmod(0o755)
    return str(script)


def test_main_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("idna==3.20\n")
    allow = tmp_path / "allow.toml"
    allow.write_text("")
    clean = {"dependencies": [{"name": "idna", "version": "3.20", "vulns": []}]}
    vulnerable = {"dependencies": [{"name": "idna", "version": "3.20",
                                    "vulns": [{"id": "PYSEC-9", "fix_versions": ["3.21"], "aliases": []}]}]}
    common = ["--requirements", str(requirements), "--allow-list", str(allow)]
    assert gate.main(["--pip-audit", _fake_pip_audit(tmp_path, clean), *common]) == 0
    assert gate.main(["--pip-audit", _fake_pip_audit(tmp_path, vulnerable), *common]) == 1
    assert "PYSEC-9 is fixed in 3.21" in capsys.readouterr().err
    assert gate.main(["--pip-audit", _fake_pip_audit(tmp_path, None), *common]) == 2
    assert "pip-audit failed" in capsys.readouterr().err
