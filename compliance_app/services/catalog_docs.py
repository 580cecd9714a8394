"""docs/checks.md, generated from the check catalog so the documentation cannot drift from the code.

The layout follows the catalog's reference (key, severity, what PASS means, framework
mappings per provider); `make docs` writes it and tests/checks_catalog/test_docs.py fails
when the checked-in file differs from what the catalog now says.
"""

from __future__ import annotations

from compliance_app.checks.base import CheckMeta
from compliance_app.checks.registry import all_checks
from compliance_app.vocabulary import EvidenceStatus, Provider

HEADER = """# Check catalog

Generated from the catalog in code by `make docs` (`python -m compliance_app questions docs`);
do not edit by hand: a test fails when this file and the catalog differ.

Keys follow the naming style of Prowler's public check catalog (provider_service_what).
"PASS when" is the check's title: the configuration it expects. Severity: critical / high /
medium / low. Framework columns are the check's mappings: SOC 2 Trust Services Criteria;
CIS AWS Foundations Benchmark v3 / CIS GitHub Benchmark section where one exists; ISO/IEC
27001:2022 Annex A. "Nothing in scope" says what a run with nothing to examine records:
PASS where that is true compliance, otherwise not applicable (shown, never scored).
"""

SECTIONS = ((Provider.AWS, "AWS (boto3; per region where the service is regional)"),
            (Provider.GITHUB, "GitHub (organization given by the integration)"))
COLUMNS = ("key", "sev", "PASS when", "service", "SOC 2", "CIS", "ISO 27001", "nothing in scope")


def _cell(text: str) -> str:
    """Table-safe text: a pipe or a line break would split the row."""
    return " ".join(text.replace("|", "\\|").split())


def _row(meta: CheckMeta) -> str:
    mapped = [", ".join(meta.frameworks.get(name, [])) or "—" for name in ("SOC 2", "CIS", "ISO 27001")]
    empty = "PASS" if meta.when_empty == EvidenceStatus.PASS else "not applicable"
    cells = [meta.key, str(meta.severity), meta.title, meta.service, *mapped, empty]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def render() -> str:
    """The whole of docs/checks.md for the catalog as it is now."""
    checks = [c.meta for c in all_checks()]
    parts = [HEADER]
    for provider, heading in SECTIONS:
        rows = [_row(m) for m in checks if m.provider == provider]
        parts.append(f"\n## {heading}: {len(rows)} checks\n\n"
                     f"| {' | '.join(COLUMNS)} |\n|{'---|' * len(COLUMNS)}\n" + "\n".join(rows) + "\n")
    return "".join(parts)
