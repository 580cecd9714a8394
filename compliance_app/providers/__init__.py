"""Provider sessions: collect raw API data from GitHub and AWS for the checks.

`open_session` / `test_connection` dispatch on the Provider enum to the module of the
same name (providers/github.py, the providers/aws/ package), imported lazily so that using one
provider never imports the other's SDK.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from compliance_app.providers.base import ConnectionResult
from compliance_app.vocabulary import Provider


def provider_module(provider: Provider | str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{Provider(provider).value}")


def open_session(provider: Provider | str, config: dict[str, Any], secrets: dict[str, Any]) -> Any:
    """A provider session for the checks; raises CollectionError when it cannot be opened."""
    return provider_module(provider).open_session(config, secrets)


def test_connection(provider: Provider | str, config: dict[str, Any], secrets: dict[str, Any]) -> ConnectionResult:
    return provider_module(provider).test_connection(config, secrets)


test_connection.__test__ = False  # not a pytest test when imported into a test module
