"""The words every layer shares: providers, severities and their weights, evidence statuses,
and the "could not read" error.

This module imports nothing from the project (and nothing outside the standard library), so
models, checks and providers can all depend on it without depending on each other: a check
never needs the database layer to say FAIL, and a provider never needs a model to say it
could not read something.
"""

from __future__ import annotations

from enum import StrEnum


class Provider(StrEnum):
    GITHUB = "github"
    AWS = "aws"


#: How every page, message and export names a provider.
PROVIDER_LABELS: dict[str, str] = {Provider.GITHUB.value: "GitHub", Provider.AWS.value: "AWS"}


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


#: Score weight of one check of each severity (DESIGN.md §4).
SEVERITY_WEIGHT: dict[Severity, int] = {
    Severity.CRITICAL: 10,
    Severity.HIGH: 5,
    Severity.MEDIUM: 3,
    Severity.LOW: 1,
}


class EvidenceStatus(StrEnum):
    """Result of one resource, and (rolled up, DESIGN.md §4) of one check.

    NOT_APPLICABLE: the check had nothing in scope (no RDS instance at all); shown, never scored.
    ERROR: the data could not be read, or only partly; never counted as passing.
    """

    PASS = "PASS"
    FAIL = "FAIL"
    RISK_ACCEPTED = "RISK_ACCEPTED"
    ERROR = "ERROR"
    NOT_APPLICABLE = "NOT_APPLICABLE"


class CollectionError(Exception):
    """The provider could not read something (permission, throttling, outage, timeout).

    Checks turn this into ERROR findings carrying `reason`; it never becomes PASS.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
