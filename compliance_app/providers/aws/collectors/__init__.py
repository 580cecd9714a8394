"""Collectors: the raw AWS reads the checks evaluate, one module per group of services.

Importing this package imports every module in it, which registers each collector in
COLLECTORS; a new module needs no list to be edited (so two people adding collectors for
different services never touch the same file).
"""

import importlib
import pkgutil

from compliance_app.providers.aws.collectors._registry import COLLECTORS

for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["COLLECTORS"]
