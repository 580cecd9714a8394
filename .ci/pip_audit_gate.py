"""CI's dependency audit: pip-audit over requirements.txt, judged against an allow-list.

The rules:
- a known vulnerability that has a fixed release fails: upgrade the pin in requirements.txt;
- one without a fixed release fails unless .ci/pip-audit-allow.toml lists it (id, package,
  reason, review_by) and its review date has not passed;
- an allow-list entry whose review date has passed fails by itself, listed or not.

requirements.txt pins every package exactly, so pip-audit runs with `--no-deps --disable-pip`:
it reads the pins as written instead of resolving them in a temporary virtualenv (minutes, and a
resolver error would audit nothing). pip-audit asks PyPI's per-release JSON for advisories. Where
that endpoint is not served (the PyPI proxy of this project's machines answers 404 for it),
pip-audit skips the package; the gate then reads the project's JSON, whose advisories are those of
the latest release, so a pin equal to the latest release is still audited and an older pin is
named as not audited. A run that could audit nothing at all fails.

Usage: python .ci/pip_audit_gate.py --pip-audit PATH [--requirements FILE] [--allow-list FILE]
Only the standard library is used, so any Python 3.11 runs it.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYPI_PROJECT_JSON = "https://pypi.org/pypi/{name}/json"


@dataclass(frozen=True)
class Vulnerability:
    package: str
    version: str
    id: str
    aliases: tuple[str, ...] = ()
    fix_versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Allowance:
    """One allow-list entry: a vulnerability without a fix, accepted until `review_by`."""

    id: str
    package: str
    reason: str
    review_by: date


@dataclass
class Verdict:
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def normalize(name: str) -> str:
    """PEP 503 name normalization, so `Jinja2` and `jinja2` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path) -> dict[str, str]:
    """name -> version for every `name==version` line; any other requirement is an error."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;]+)", line)
        if match is None:
            raise ValueError(f"{path}:{number}: '{line}' is not pinned as name==version (needed for --no-deps)")
        pins[normalize(match.group(1))] = match.group(2)
    return pins


def load_allow_list(path: Path) -> list[Allowance]:
    """Entries of [[allow]] tables; each needs id, package, reason and a review_by date."""
    if not path.exists():
        return []
    entries = tomllib.loads(path.read_text()).get("allow", [])
    allowances = []
    for index, entry in enumerate(entries, start=1):
        missing = [key for key in ("id", "package", "reason", "review_by") if not entry.get(key)]
        if missing:
            raise ValueError(f"{path}: entry {index} lacks {', '.join(missing)}")
        if not isinstance(entry["review_by"], date):
            raise ValueError(f"{path}: entry {index} ({entry['id']}): review_by must be a date like 2027-01-31")
        allowances.append(Allowance(str(entry["id"]), normalize(str(entry["package"])), str(entry["reason"]),
                                    entry["review_by"]))
    return allowances


def parse_pip_audit(report: dict, pins: dict[str, str]) -> tuple[list[Vulnerability], list[str]]:
    """pip-audit's JSON report -> (vulnerabilities found, names of packages it skipped)."""
    found: list[Vulnerability] = []
    skipped: list[str] = []
    for dep in report.get("dependencies", []):
        name = normalize(dep["name"])
        if dep.get("skip_reason"):
            skipped.append(name)
            continue
        for vuln in dep.get("vulns", []):
            found.append(Vulnerability(name, dep.get("version") or pins.get(name, "?"), vuln["id"],
                                       tuple(vuln.get("aliases", [])), tuple(vuln.get("fix_versions", []))))
    return found, skipped


def vulnerabilities_from_project_json(name: str, version: str, project: dict) -> list[Vulnerability] | None:
    """Advisories from PyPI's project JSON; they describe its latest release, so only a pin of that release
    can be judged from them (None: not audited)."""
    if project.get("info", {}).get("version") != version:
        return None
    return [
        Vulnerability(name, version, v["id"], tuple(v.get("aliases") or ()), tuple(v.get("fixed_in") or ()))
        for v in project.get("vulnerabilities") or []
        if not v.get("withdrawn")
    ]


def fetch_project_json(name: str) -> dict | None:
    try:
        with urllib.request.urlopen(PYPI_PROJECT_JSON.format(name=name), timeout=30) as response:
            return json.load(response)
    except (urllib.error.URLError, TimeoutError, ValueError):
        return None


def matching_allowance(vuln: Vulnerability, allowances: list[Allowance]) -> Allowance | None:
    for allowance in allowances:
        if allowance.package == normalize(vuln.package) and allowance.id in (vuln.id, *vuln.aliases):
            return allowance
    return None


def judge(vulns: list[Vulnerability], allowances: list[Allowance], today: date) -> Verdict:
    """Apply the rules in the module docstring; every failure is one line saying what to do."""
    verdict = Verdict()
    used: set[Allowance] = set()
    for vuln in vulns:
        where = f"{vuln.package} {vuln.version}: {vuln.id}"
        allowance = matching_allowance(vuln, allowances)
        if allowance is not None:
            used.add(allowance)
        if vuln.fix_versions:
            verdict.failures.append(f"{where} is fixed in {', '.join(vuln.fix_versions)}: upgrade the pin in "
                                    "requirements.txt" + (" (the allow-list entry no longer applies)"
                                                          if allowance else ""))
        elif allowance is None:
            verdict.failures.append(f"{where} has no fixed release: add it to .ci/pip-audit-allow.toml with a "
                                    "reason and a review date, or drop the package")
        elif allowance.review_by >= today:
            verdict.notes.append(f"allowed until {allowance.review_by}: {where} ({allowance.reason})")
    for allowance in allowances:
        if allowance.review_by < today:
            verdict.failures.append(f"allow-list entry {allowance.id} ({allowance.package}) was due for review on "
                                    f"{allowance.review_by}: review it and set a new date, or remove it")
        elif allowance not in used:
            verdict.notes.append(f"allow-list entry {allowance.id} ({allowance.package}) matched nothing in this "
                                 "run: remove it if the package no longer has it")
    return verdict


def run_pip_audit(pip_audit: str, requirements: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        proc = subprocess.run(
            [pip_audit, "-r", str(requirements), "--no-deps", "--disable-pip", "--format", "json",
             "--progress-spinner", "off", "--output", str(out)],
            capture_output=True, text=True, timeout=600,
        )
        if not out.exists() or not out.read_text().strip():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"pip-audit failed (exit {proc.returncode}): {tail[0]}")
        return json.loads(out.read_text())


def audit(report: dict, pins: dict[str, str],
          fetch: Callable[[str], dict | None] = fetch_project_json) -> tuple[list[Vulnerability], list[str]]:
    """Vulnerabilities of every pin, and the pins that could not be audited by either source."""
    vulns, skipped = parse_pip_audit(report, pins)
    with ThreadPoolExecutor(max_workers=8) as pool:
        projects = dict(zip(skipped, pool.map(fetch, skipped), strict=True))
    unaudited = []
    for name in skipped:
        project = projects[name]
        found = None if project is None else vulnerabilities_from_project_json(name, pins.get(name, "?"), project)
        if found is None:
            latest = (project or {}).get("info", {}).get("version")
            unaudited.append(f"{name} {pins.get(name, '?')}" + (f" (latest {latest})" if latest else ""))
        else:
            vulns.extend(found)
    return vulns, unaudited


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pip-audit", required=True, help="pip-audit executable (.ci/requirements-audit.txt pins it)")
    parser.add_argument("--requirements", type=Path, default=HERE.parent / "requirements.txt")
    parser.add_argument("--allow-list", type=Path, default=HERE / "pip-audit-allow.toml")
    args = parser.parse_args(argv)
    try:
        pins = read_pins(args.requirements)
        allowances = load_allow_list(args.allow_list)
        vulns, unaudited = audit(run_pip_audit(args.pip_audit, args.requirements), pins)
    except (ValueError, RuntimeError, subprocess.TimeoutExpired, tomllib.TOMLDecodeError) as exc:
        print(f"pip-audit gate: {exc}", file=sys.stderr)
        return 2
    if len(unaudited) == len(pins):
        print("pip-audit gate: no dependency could be audited (is PyPI reachable?)", file=sys.stderr)
        return 2
    verdict = judge(vulns, allowances, date.today())
    for note in verdict.notes:
        print(f"pip-audit gate: {note}")
    if unaudited:
        print(f"pip-audit gate: not audited (PyPI served advisories for the latest release only): "
              f"{', '.join(unaudited)}")
    for failure in verdict.failures:
        print(f"pip-audit gate: FAIL {failure}", file=sys.stderr)
    audited = len(pins) - len(unaudited)
    print(f"pip-audit gate: {audited} of {len(pins)} pins audited, {len(vulns)} known vulnerabilities, "
          f"{len(verdict.failures)} failures")
    return 1 if verdict.failures else 0


if __name__ == "__main__":
    sys.exit(main())
