"""docs/checks.md is what the catalog says: generated, checked in, and failing CI when it drifts."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from compliance_app.checks.registry import all_checks
from compliance_app.cli import build_app
from compliance_app.services import catalog_docs

DOC = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


def test_checked_in_catalog_doc_matches_the_catalog() -> None:
    assert DOC.read_text(encoding="utf-8") == catalog_docs.render(), (
        "docs/checks.md differs from the check catalog: run `make docs` and commit docs/checks.md")


def test_every_check_has_one_row_with_its_mappings() -> None:
    text = catalog_docs.render()
    for check in all_checks():
        meta = check.meta
        [row] = [line for line in text.splitlines() if line.startswith(f"| {meta.key} |")]
        assert f"| {meta.severity} |" in row and ", ".join(meta.frameworks["SOC 2"]) in row, row
        assert ", ".join(meta.frameworks["ISO 27001"]) in row, row


def test_cells_cannot_break_the_table() -> None:
    assert catalog_docs._cell("a | b\nc") == "a \\| b c"


def test_cli_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "checks.md"
    result = CliRunner().invoke(build_app(), ["questions", "docs", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == catalog_docs.render()
    printed = CliRunner().invoke(build_app(), ["questions", "docs"])
    assert printed.stdout == catalog_docs.render()
