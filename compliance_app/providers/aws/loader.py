"""botocore's service models, loaded once per process and without their documentation.

A scan creates clients for some twenty services; botocore parses each service's model
(EC2's alone is ~15 MB of Python objects) and keeps it for the life of the process. About
half of that is the API reference text ("documentation" strings), which only docstrings and
`help()` use, never a call. Blanking it while parsing (the keys stay, as botocore reads some
of them, e.g. clientContextParams') keeps the scan worker's peak RSS within its budget
(bench scan_latency: <= 250 MB).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from botocore.loaders import JSONFileLoader, Loader


def _without_documentation(obj: dict[str, Any]) -> dict[str, Any]:
    """Blank a JSON object's reference text; a member that happens to be named so (a dict) stays."""
    if isinstance(obj.get("documentation"), str):
        obj["documentation"] = ""
    return obj


class LeanJSONFileLoader(JSONFileLoader):
    """JSONFileLoader that parses into plain dicts with the documentation blanked."""

    def _load_file(self, full_path: str, open_method: Callable[..., Any]) -> Any:
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as fp:
            return json.loads(fp.read().decode("utf-8"), object_hook=_without_documentation)


def create_lean_loader() -> Loader:
    """A loader for boto sessions; share one per process so each model is parsed once."""
    return Loader(file_loader=LeanJSONFileLoader())
