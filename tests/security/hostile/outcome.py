"""The checks every hostile-input test shares: what changed in the database, and collecting failures."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlmodel import SQLModel

from compliance_app.db import get_engine


def fingerprint(skip: Iterable[str] = ()) -> dict[str, str]:
    """md5 of every table's rows, in one round trip: equal before and after means nothing was written."""
    tables = [t.name for t in SQLModel.metadata.sorted_tables if t.name not in set(skip)]
    query = " UNION ALL ".join(
        f"SELECT '{name}', md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM \"{name}\" t"
        for name in tables
    )
    with get_engine().connect() as conn:
        return dict(conn.execute(sa.text(query)).all())


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in before if before[name] != after.get(name))


class WriteGuard:
    """Did a refused call write? Fingerprints the tables before a call only when the previous call may
    have written (it succeeded), since a refusal that passed the check left them as they were."""

    def __init__(self, skip: Iterable[str] = ()) -> None:
        self._skip = tuple(skip)
        self._known: dict[str, str] | None = None

    def before(self) -> None:
        if self._known is None:
            self._known = fingerprint(self._skip)

    def succeeded(self) -> None:
        self._known = None

    def refused(self) -> list[str]:
        """The tables the refused call changed (none, if all is well)."""
        after = fingerprint(self._skip)
        changed = changed_tables(self._known or {}, after)
        self._known = after
        return changed


def run_each(targets: Iterable[str], check: Callable[[str], None]) -> list[str]:
    """Run `check(target)` for every target; one line per target whose check failed (hypothesis has
    already shrunk the failing example and printed it)."""
    problems = []
    for target in targets:
        try:
            check(target)
        except Exception as exc:  # an AssertionError, or whatever the code under test let escape
            problems.append(f"{target}: {type(exc).__name__}: {str(exc)[:600]}")
    return problems
