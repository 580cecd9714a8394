"""The layering of DESIGN.md §3, enforced on the source: checks and providers share words
through compliance_app.vocabulary, never through the database layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "compliance_app"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize(("layer", "forbidden"), [
    ("checks", ("compliance_app.models", "compliance_app.providers", "compliance_app.services")),
    ("providers", ("compliance_app.models", "compliance_app.services", "compliance_app.checks")),
])
def test_layer_does_not_import_upwards(layer: str, forbidden: tuple[str, ...]) -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for name in _imports(path)
        if name.startswith(forbidden)
    ]
    assert offenders == []


def test_vocabulary_depends_on_nothing_of_ours() -> None:
    own = [name for name in _imports(PACKAGE / "vocabulary.py") if name.startswith("compliance_app")]
    assert own == []
