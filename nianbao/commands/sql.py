"""`nianbao sql`: one read-only SQL query against the database.

SQLite is opened read-only (``mode=ro``, and ``query_only``); PostgreSQL runs the query in a
READ ONLY transaction that is rolled back (``store.readonly``). A write fails in the database
itself, so nothing changes whatever the statement is; we only turn the refusal into a clear
message.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from nianbao.store.questions import number

from .. import output
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


@contextmanager
def execute(url: str, statement: str, timeout: float = DEFAULT_TIMEOUT
            ) -> Iterator[tuple[list[str], Iterator[dict]]]:
    """(columns, rows) of a statement, its rows streamed while the block runs."""
    from nianbao.store import readonly

    with readonly.execute(url, statement, timeout) as (columns, rows):
        # Values are stored as floating point; a count prints as 3, not 3.0.
        yield columns, ({c: number(v) for c, v in zip(columns, row, strict=True)}
                        for row in rows)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy import exc

    from nianbao.store.readonly import QueryTimeout, is_write_refusal

    url = read_url(args)  # reads only: never made, never migrated (exit 2 if it needs to be)
    try:
        with execute(url, args.statement, args.timeout) as (columns, rows):
            output.write(args.format, columns, rows, "{count} rows")
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
