"""The one way moments are written for machines and files: ISO 8601 in UTC.

The PDF, the CLI and exports print `iso_utc` ('2026-11-27T14:05:00Z'); pages read the same
string and show it in the reader's locale (components/figures.py `local_time`). Standard
library only, so services and commands use it without importing Reflex.
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(dt: datetime | None) -> str:
    """'2026-11-27T14:05:00Z' (empty for None); a naive moment is taken as UTC, as stored."""
    if dt is None:
        return ""
    dt = dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)
    return dt.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def iso_utc_text(value: str | None) -> str:
    """iso_utc of a timestamp kept as text (snapshot JSON); text that is not one stays as it is."""
    try:
        return iso_utc(datetime.fromisoformat(value or ""))
    except ValueError:
        return value or ""
