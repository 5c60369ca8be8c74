"""`nianbao sql`: one read-only SQL query against the database.

SQLite is opened read-only (``mode=ro``, and ``query_only``); PostgreSQL runs the query in a
READ ONLY transaction that is rolled back (``store.readonly``). A write fails in the database
itself, so nothing changes whatever the statement is; we only turn the refusal into a clear
message.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import exc

from nianbao.store import readonly
from nianbao.store.readonly import QueryTimeout, is_write_refusal

from .. import queries
from .common import add_data_options, read_url

DEFAULT_TIMEOUT = 30.0


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("sql", help="run one read-only SQL query")
    add_data_options(parser)
    parser.add_argument("statement", metavar="SQL", help='e.g. "SELECT * FROM report_rates"')
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help="stop the query after this long (default %(default)s; 0: never)")
    parser.set_defaults(func=run)


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


def read_only_engine(url: str):
    """An engine whose connections cannot write."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "").resolve()
        engine = create_engine(f"sqlite:///{path.as_uri()}?mode=ro&uri=true")

        from sqlalchemy import event

        @event.listens_for(engine, "connect")
        def _query_only(dbapi_connection, _record) -> None:
            dbapi_connection.execute("PRAGMA query_only = ON")
            # mode=ro already refuses writes; the authorizer refuses them while the statement
            # is compiled, so a write that mode=ro would report as "disk I/O error" (setting a
            # PRAGMA) gets the same clear message as DELETE.
            dbapi_connection.set_authorizer(_deny_writes)
        return engine
    engine = create_engine(url)
    from sqlalchemy import event

    @event.listens_for(engine, "begin")
    def _read_only(connection) -> None:
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    return engine


def _limit(connection, timeout: float) -> None:
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
def execute(url: str, statement: str, timeout: float = DEFAULT_TIMEOUT
            ) -> Iterator[tuple[list[str], Iterator[dict]]]:
    """(columns, rows) of a statement, its rows streamed from the database while the
    block runs (a national table is never held whole)."""
    engine = read_only_engine(url)
    try:
        with engine.connect() as connection:
            _limit(connection, timeout)
            # exec_driver_sql: the statement goes to the database as written (no :name
            # parameter parsing), and the transaction is rolled back when the block ends.
            # a query streams (on PostgreSQL through a server-side cursor, which only a
            # query may open: anything else runs as it is, to be refused as a write)
            if _QUERY.match(statement):
                connection = connection.execution_options(stream_results=True, yield_per=500)
            try:
                result = connection.exec_driver_sql(statement)
            except exc.DBAPIError as error:
                if _timed_out(error):
                    raise QueryTimeout(f"the query ran longer than {timeout:g} s and was "
                                       f"stopped (--timeout)") from error
                raise
            if not result.returns_rows:
                yield [], iter(())
                return
            columns = list(result.keys())

            def rows() -> Iterator[dict]:
                try:
                    for row in result:
                        # Values are stored as floating point; a count prints as 3, not 3.0.
                        yield {c: queries.number(v) for c, v in zip(columns, row, strict=True)}
                except exc.DBAPIError as error:  # the limit can strike while rows stream
                    if _timed_out(error):
                        raise QueryTimeout(f"the query ran longer than {timeout:g} s and was "
                                           f"stopped (--timeout)") from error
                    raise

            yield columns, rows()
    finally:
        engine.dispose()


def run(args: argparse.Namespace) -> int:
    url = read_url(args)  # reads only: never made, never migrated (exit 2 if it needs to be)
    try:
        with execute(url, args.statement, args.timeout) as (columns, rows):
            queries.write(args.format, columns, rows, "{count} rows")
    except QueryTimeout as error:
        print(f"nianbao: error: {error} (--timeout)", file=sys.stderr)
        return 1
    except exc.DBAPIError as error:
        if is_write_refusal(error):
            print("nianbao: error: nianbao sql is read-only: only queries (SELECT) run, and "
                  "nothing was changed", file=sys.stderr)
        else:
            print(f"nianbao: error: {str(error.orig).strip().splitlines()[0]}", file=sys.stderr)
        return 2
    return 0
