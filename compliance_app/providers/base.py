"""What every provider offers the engine and the integrations service."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ConnectionResult:
    """Outcome of "Test connection": `message` tells the person what to fix."""

    ok: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)


class CollectionError(Exception):
    """The provider could not read something (permission, throttling, outage, timeout).

    Checks turn this into ERROR findings carrying `reason`; it never becomes PASS.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
