"""What every provider offers the engine and the integrations service."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from compliance_app.vocabulary import CollectionError

__all__ = ["CollectionError", "ConnectionResult"]


@dataclass
class ConnectionResult:
    """Outcome of "Test connection": `message` tells the person what to fix."""

    ok: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)
