"""Helpers shared by tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, event


class QueryCounter:
    """Count the statements a block of code sends on one connection.

    with queries.count() as counted:
        client.get(...)
    assert counted.total <= 4
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    @contextmanager
    def count(self) -> Iterator[CountedQueries]:
        counted = CountedQueries()

        def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                counted.statements.append(statement)

        event.listen(self.connection, "before_cursor_execute", before)
        try:
            yield counted
        finally:
            event.remove(self.connection, "before_cursor_execute", before)


class CountedQueries:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def total(self) -> int:
        return len(self.statements)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Check the one error shape `{"error": code, "detail": ...}` and return the body."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "detail"}, body
    if code is not None:
        assert body["error"] == code, body
    return body


def assert_whole_metres(answered: object, exact_m: float) -> None:
    """A distance in an answer is the exact one rounded to whole metres."""
    assert isinstance(answered, int), answered
    assert abs(answered - exact_m) <= 0.5 + 1e-6, (answered, exact_m)
