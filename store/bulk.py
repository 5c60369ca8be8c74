"""Rows in bulk, as plain tuples straight to the database driver.

A national reparse writes tens of millions of cells and hundreds of thousands of wide
rows; SQLAlchemy's per-row parameter handling cost three times the INSERT itself
(bench/archive.py). So: COPY on PostgreSQL (one statement, so a statement-level trigger
runs once for the lot), multi-row INSERTs on SQLite (a third faster than executemany's
one statement step per row, bench/scale.py --store), executemany elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import Connection

_SQLITE_PARAMETERS = 32_766  # SQLite's limit on a statement's parameters (3.32 and later)
_SQLITE_ROWS = 2_000  # rows of a multi-row INSERT at most, however narrow


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@lru_cache(maxsize=64)
def _statement(table: str, columns: tuple[str, ...], rows: int, mark: str) -> str:
    row = "(" + ", ".join([mark] * len(columns)) + ")"
    return (f"INSERT INTO {table} ({', '.join(map(quote, columns))}) VALUES "
            + ", ".join([row] * rows))


def insert_rows(connection: Connection, table: str, columns: Sequence[str],
                rows: Sequence[tuple]) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table``, in the
    connection's transaction."""
    if not rows:
        return
    columns = tuple(columns)
    dialect = connection.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            with cursor.copy(f"COPY {table} ({', '.join(map(quote, columns))}) FROM STDIN"
                             ) as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
        return
    if dialect.name == "sqlite":
        size = max(1, min(_SQLITE_ROWS, _SQLITE_PARAMETERS // len(columns)))
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            for start in range(0, len(rows), size):
                chunk = rows[start:start + size]
                cursor.execute(_statement(table, columns, len(chunk), "?"),
                               [x for row in chunk for x in row])
        finally:
            cursor.close()
        return
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(_statement(table, columns, 1, mark), list(rows))
