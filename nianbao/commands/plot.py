"""`nianbao plot`: PNG charts of applications received, outcome mix and correction rates."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nianbao.store import questions

from .common import add_data_options, open_for_reading

# The charts of nianbao.charts (not imported here: matplotlib is slow to load).
CHARTS = ("received", "outcomes", "corrections")


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "plot", help="draw PNG charts (applications per year, outcome mix, correction rates)")
    add_data_options(parser)
    parser.add_argument("--year", metavar="Y|Y1-Y2")
    parser.add_argument("--region", metavar="NAME|CODE-PREFIX")
    parser.add_argument("--agency", metavar="TEXT", help="agency type or part of its name")
    parser.add_argument("--chart", action="append", choices=CHARTS,
                        help="which chart (repeatable; default all)")
    parser.add_argument("--out", type=Path,
                        help="directory for the PNG files (default DATA_DIR/charts)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .. import charts

    query = questions.Query(keys=[], year=args.year, region=args.region, agency=args.agency)
    out_dir = args.out or (args.data_dir / "charts")
    if charts.cjk_font() is None:
        print("nianbao: warning: no CJK font found; Chinese labels will not render "
              "(install fonts-wqy-zenhei: bash tools/system-deps.sh)", file=sys.stderr)
    try:
        with open_for_reading(args) as store, store.engine.connect() as connection:
            paths = charts.draw(connection, query, out_dir, tuple(args.chart or CHARTS))
    except questions.QueryError as exc:
        print(f"nianbao: error: {exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0
