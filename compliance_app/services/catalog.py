"""The check catalog as the Checks page browses it: filtered and ordered in one place.

The catalog is the same for every organization (it is code, not data), so reading it needs
no actor; what a filter means (a framework "maps" a check, every search word must appear)
is decided here rather than in the page.
"""

from __future__ import annotations

from compliance_app.checks.base import CheckMeta
from compliance_app.checks.registry import all_checks
from compliance_app.vocabulary import Severity

SEVERITY_ORDER = [s.value for s in Severity]


def matches(meta: CheckMeta, provider: str | None = None, severity: str | None = None,
            framework: str | None = None, search: str = "") -> bool:
    """Whether a check passes the filters (None = any); every word of `search` must appear in
    its key, title, service, description or rationale."""
    if provider and str(meta.provider) != provider:
        return False
    if severity and str(meta.severity) != severity:
        return False
    if framework and not meta.frameworks.get(framework):
        return False
    words = search.lower().split()
    if words:
        haystack = " ".join((meta.key, meta.title, meta.service, meta.description, meta.rationale)).lower()
        return all(word in haystack for word in words)
    return True


def list_checks(provider: str | None = None, severity: str | None = None, framework: str | None = None,
                search: str = "") -> tuple[list[CheckMeta], int]:
    """(matching checks, most severe first then by key; the catalog's size)."""
    catalog = [c.meta for c in all_checks()]
    found = [m for m in catalog if matches(m, provider, severity, framework, search.strip())]
    found.sort(key=lambda m: (SEVERITY_ORDER.index(str(m.severity)), m.key))
    return found, len(catalog)


def get_check(key: str) -> CheckMeta | None:
    """One check's metadata by key (None for a key the catalog does not have)."""
    return next((c.meta for c in all_checks() if c.meta.key == key), None)
