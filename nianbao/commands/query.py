"""`nianbao query`: keys of the stored reports, filtered, grouped and aggregated."""

from __future__ import annotations

import argparse
import sys

from nianbao.store import questions

from .. import codebook, output
from .common import add_data_options, open_for_reading


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "query", help="query the collected reports (filters, keys, group-by)",
        description="One row per report (newest parse of each document), or with --group-by "
                    "one row per group with the aggregate of each key.")
    add_data_options(parser)
    parser.add_argument("--key", action="append", required=True, metavar="KEY",
                        help="canonical key, or a pattern with * (applications.*.total)")
    parser.add_argument("--year", metavar="Y|Y1-Y2", help="the year the statistics cover")
    parser.add_argument("--region", metavar="NAME|CODE-PREFIX",
                        help="province, city or district name (or its start: 天津), or a "
                             "division-code prefix (12, 1201, 120110)")
    parser.add_argument("--agency", metavar="TEXT",
                        help="agency type (人社局, 民政局, …) or part of the agency's name")
    parser.add_argument("--report-format", choices=("2019", "2021", "mixed"),
                        help="only reports in this official table format")
    parser.add_argument("--group-by", action="append", default=[], metavar="FIELD",
                        choices=questions.GROUP_FIELDS,
                        help=f"one of {', '.join(questions.GROUP_FIELDS)} (repeatable)")
    parser.add_argument("--agg", choices=questions.AGGREGATES, default="sum",
                        help="aggregate for --group-by (default sum; count counts reports "
                             "that print the cell)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    query = questions.Query(keys=args.key, year=args.year, region=args.region,
                            agency=args.agency, report_format=args.report_format,
                            group_by=args.group_by, agg=args.agg)
    title = "{count} " + ("groups" if args.group_by else "reports")
    if args.group_by:
        title += f" ({args.agg})"
    try:
        with open_for_reading(args) as store, store.engine.connect() as connection:
            # rows streamed from the database to stdout (csv, json)
            columns, rows = questions.stream(connection, query)
            output.write(args.format, columns, rows, title)
    except questions.UnknownKey as exc:
        print(f"nianbao: error: {codebook.unknown_key_message(exc.pattern)}", file=sys.stderr)
        return 2
    except questions.QueryError as exc:
        print(f"nianbao: error: {exc}", file=sys.stderr)
        return 2
    return 0
