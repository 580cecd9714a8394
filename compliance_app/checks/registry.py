"""Discovers every Check subclass under checks/aws and checks/github, validated once."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import lru_cache

from compliance_app.checks import aws as aws_checks
from compliance_app.checks import github as github_checks
from compliance_app.checks.base import Check
from compliance_app.vocabulary import Provider


@lru_cache
def all_checks() -> tuple[Check, ...]:
    """Every check in the catalog, sorted by key; duplicate keys or bad metadata raise."""
    found: dict[str, Check] = {}
    for package in (aws_checks, github_checks):
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, Check) and cls.__module__ == module.__name__ and hasattr(cls, "meta"):
                    cls.meta.validate()
                    if cls.meta.key in found:
                        raise ValueError(f"duplicate check key {cls.meta.key!r}")
                    found[cls.meta.key] = cls()
    return tuple(found[k] for k in sorted(found))


def checks_for(provider: Provider) -> list[Check]:
    return [c for c in all_checks() if c.meta.provider == provider]


def get_check(key: str) -> Check:
    for check in all_checks():
        if check.meta.key == key:
            return check
    raise KeyError(key)
