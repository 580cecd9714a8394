"""Service models are parsed with their reference text blanked (half their memory), and nothing else is lost."""

from __future__ import annotations

import json
from pathlib import Path

from botocore.loaders import create_loader

from compliance_app.providers.aws.loader import LeanJSONFileLoader, create_lean_loader


def _documented(obj: object) -> bool:
    if isinstance(obj, dict):
        return bool(isinstance(obj.get("documentation"), str) and obj["documentation"]) or any(
            _documented(v) for v in obj.values())
    if isinstance(obj, list):
        return any(_documented(v) for v in obj)
    return False


def _undocumented(obj: object) -> object:
    if isinstance(obj, dict):
        return {k: "" if k == "documentation" and isinstance(v, str) else _undocumented(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_undocumented(v) for v in obj]
    return obj


def test_models_keep_everything_but_the_documentation() -> None:
    full = create_loader().load_service_model("ec2", "service-2")
    lean = create_lean_loader().load_service_model("ec2", "service-2")
    assert _documented(full) and not _documented(lean)
    assert lean == _undocumented(full)


def test_a_member_named_documentation_is_kept(tmp_path: Path) -> None:
    (tmp_path / "model.json").write_text(json.dumps(
        {"documentation": "text", "members": {"documentation": {"shape": "String", "documentation": "text"}}}))
    loaded = LeanJSONFileLoader().load_file(str(tmp_path / "model"))
    assert loaded == {"documentation": "", "members": {"documentation": {"shape": "String", "documentation": ""}}}
