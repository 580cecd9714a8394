"""How many SQL statements a piece of service code sends: the round trips a change saves, counted."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from compliance_app.db import get_engine, session_scope


def counted(call: Callable[[sa.orm.Session], object]) -> tuple[object, int]:
    """What `call(session)` returns (or, as (type, message), the refusal it raises) and how many
    statements it sent, in one transaction of its own."""
    sent: list[str] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append(statement)

    sa.event.listen(get_engine(), "before_cursor_execute", on_execute)
    try:
        with session_scope() as s:
            try:
                result: object = call(s)
            except Exception as error:  # the refusal is the answer compared
                result = (type(error), str(error))
    finally:
        sa.event.remove(get_engine(), "before_cursor_execute", on_execute)
    return result, len(sent)


def answer_of(access: object) -> object:
    """An Access as comparable values (organization id, role, owner), or the refusal as given."""
    return (access.organization.id, access.role, access.is_owner) if hasattr(access, "role") else access
