"""The one thing `python -m ops` asks of Snowflake: run a statement, return its rows. The tests
give a recording fake in its place (tests/test_ops_*.py)."""

from __future__ import annotations

from typing import Any, Protocol

Row = dict[str, Any]
"""A result row, by lower-case column name (SHOW's columns are lower case, a SELECT's upper)."""


class QueryError(Exception):
    """A statement failed; the message is Snowflake's first line."""


class Session(Protocol):
    def query(self, statement: str) -> list[Row]: ...

    def close(self) -> None: ...


class SnowflakeSession:
    """A snowflake-connector-python connection behind `Session`."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def query(self, statement: str) -> list[Row]:
        from snowflake.connector.errors import Error

        try:
            with self._connection.cursor() as cursor:
                cursor.execute(statement)
                names = [column[0].lower() for column in cursor.description or ()]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except Error as error:
            raise QueryError(first_line(error)) from None

    def close(self) -> None:
        self._connection.close()


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
