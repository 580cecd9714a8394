"""Retrying a short database transaction across a lost connection.

PostgreSQL restarting, a failover or a network blip drops every pooled connection. The
pool pre-pings (db.py), so the next checkout opens a fresh connection; what is left is
the transaction that was running when the connection went away. The worker's
transactions (claim, heartbeat, evidence flush, completion) are short and written to be
retried: each is fenced on the lease and idempotent when its first commit did land but
the acknowledgement was lost (see audit_queue.save_results and complete). So they are
retried here with exponential backoff, for a bounded time, and only for errors that mean
"the database could not be reached or dropped us", never for a bug in our own SQL.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

log = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_DELAY = 0.25
MAX_DELAY = 2.0


#: SQLite raises OperationalError for mistakes in the SQL too ("no such function", "syntax error"),
#: which no retry mends; these are the ones that mean the database file could not be used just now.
_SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "unable to open database file",
                       "disk i/o error")


def is_connection_error(exc: BaseException) -> bool:
    """The database was unreachable or dropped the connection (retrying may succeed)."""
    if isinstance(exc, OperationalError | InterfaceError):
        orig = getattr(exc, "orig", None)
        if isinstance(orig, sqlite3.Error):
            return str(orig).lower().startswith(_SQLITE_UNAVAILABLE)
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def describe(exc: BaseException) -> str:
    """The driver's first line (e.g. 'connection refused'), without the SQL or parameters."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


def retry_database(
    fn: Callable[[], T], *, what: str, budget: float, stop: threading.Event | None = None
) -> T:
    """Call `fn` until it succeeds; on a connection error wait 0.25 s, 0.5 s, 1 s, then every 2 s
    and try again, for at most `budget` seconds (or until `stop` is set), then re-raise."""
    deadline = time.monotonic() + budget
    delay = FIRST_DELAY
    waiter = stop or threading.Event()  # wait() wakes early on shutdown
    while True:
        try:
            return fn()
        except Exception as exc:
            if not is_connection_error(exc) or time.monotonic() + delay > deadline:
                raise
            if stop is not None and stop.is_set():
                raise
            log.warning("%s: database unavailable (%s); retrying in %.2g s", what, describe(exc), delay)
            waiter.wait(delay)
            delay = min(delay * 2, MAX_DELAY)
