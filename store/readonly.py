"""One SQL statement run read-only, whatever it is (`nianbao sql`).

SQLite is opened read-only (``mode=ro``, and ``query_only``); PostgreSQL runs the query in a
READ ONLY transaction that is rolled back. A write fails in the database itself, so nothing
changes whatever the statement is; the caller only turns the refusal into a clear message
(``is_write_refusal``).
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url


class QueryTimeout(Exception):
    """The statement ran past its time limit and was stopped by the database."""


_WRITE_ACTIONS = {getattr(sqlite3, name) for name in dir(sqlite3) if name.startswith((
    "SQLITE_INSERT", "SQLITE_UPDATE", "SQLITE_DELETE", "SQLITE_CREATE_", "SQLITE_DROP_",
    "SQLITE_ALTER_TABLE", "SQLITE_ATTACH", "SQLITE_DETACH", "SQLITE_REINDEX",
    "SQLITE_ANALYZE"))}


# PRAGMAs that take an argument and only read; any other PRAGMA with a value sets something.
_READING_PRAGMAS = {"table_info", "table_xinfo", "table_list", "index_list", "index_info",
                    "index_xinfo", "foreign_key_list", "foreign_key_check", "integrity_check",
                    "quick_check"}


def _deny_writes(action: int, arg1, arg2, _database, _trigger) -> int:
    if action in _WRITE_ACTIONS or (action == sqlite3.SQLITE_PRAGMA and arg2 is not None
                                    and (arg1 or "").lower() not in _READING_PRAGMAS):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def read_only_engine(url: str) -> Engine:
    """An engine whose connections cannot write."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "").resolve()
        engine = create_engine(f"sqlite:///{path.as_uri()}?mode=ro&uri=true")

        @event.listens_for(engine, "connect")
        def _query_only(dbapi_connection, _record) -> None:
            dbapi_connection.execute("PRAGMA query_only = ON")
            # mode=ro already refuses writes; the authorizer refuses them while the statement
            # is compiled, so a write that mode=ro would report as "disk I/O error" (setting a
            # PRAGMA) gets the same clear message as DELETE.
            dbapi_connection.set_authorizer(_deny_writes)
        return engine
    engine = create_engine(url)

    @event.listens_for(engine, "begin")
    def _read_only(connection) -> None:
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    return engine


def _limit(connection: Connection, timeout: float) -> None:
    """A statement timeout on either engine: PostgreSQL's statement_timeout for this
    transaction; SQLite has none, so its progress handler interrupts the statement."""
    if not timeout or timeout <= 0:
        return
    if connection.dialect.name == "sqlite":
        deadline = time.monotonic() + timeout
        raw = connection.connection.dbapi_connection
        # called every 10,000 virtual machine instructions; non-zero interrupts
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout * 1000)}")


def _timed_out(error: exc.DBAPIError) -> bool:
    if getattr(error.orig, "sqlstate", None) == "57014":  # PostgreSQL query_canceled
        return True
    return "interrupted" in str(error.orig).lower()


def is_write_refusal(error: exc.DBAPIError) -> bool:
    orig = error.orig
    if getattr(orig, "sqlstate", None) == "25006":  # PostgreSQL read_only_sql_transaction
        return True
    message = str(orig).lower()
    return any(word in message for word in ("readonly", "read-only", "query_only",
                                            "not authorized"))


_QUERY = re.compile(r"\s*(SELECT|WITH|VALUES|TABLE)\b", re.IGNORECASE)


@contextmanager
def execute(url: str, statement: str, timeout: float = 0
            ) -> Iterator[tuple[list[str], Iterator[tuple]]]:
    """Run one statement read-only: (columns, rows), the rows streamed from the database
    while the block runs (a national table is never held whole); ([], no rows) for a
    statement that returns none."""
    engine = read_only_engine(url)
    try:
        with engine.connect() as connection:
            _limit(connection, timeout)
            # A query streams (on PostgreSQL through a server-side cursor, which only a query
            # may open: anything else runs as it is, to be refused as a write).
            if _QUERY.match(statement):
                connection = connection.execution_options(stream_results=True, yield_per=500)
            # exec_driver_sql: the statement goes to the database as written (no :name
            # parameter parsing), and the transaction is rolled back when the block ends.
            try:
                result = connection.exec_driver_sql(statement)
            except exc.DBAPIError as error:
                if _timed_out(error):
                    raise QueryTimeout(f"the query ran longer than {timeout:g} s and was "
                                       "stopped") from error
                raise
            if not result.returns_rows:
                yield [], iter(())
                return

            def rows() -> Iterator[tuple]:
                try:
                    yield from (tuple(row) for row in result)
                except exc.DBAPIError as error:  # the limit can strike while rows stream
                    if _timed_out(error):
                        raise QueryTimeout(f"the query ran longer than {timeout:g} s and "
                                           "was stopped") from error
                    raise

            yield list(result.keys()), rows()
    finally:
        engine.dispose()
