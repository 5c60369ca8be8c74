"""`nianbao export`: every stored report (newest version of each) as JSON lines or CSV."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from parsers.schema import load_schema
from store import Store, report_json

from .. import codebook
from ..typed_export import BOM, spreadsheet_encoding
from .common import add_data_options, db_url

META_COLUMNS = ["agency", "province", "city", "district", "division_code", "year", "format",
                "title", "url", "published", "parser_version"]


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("export", help="write every stored report (newest version)")
    add_data_options(parser)
    parser.add_argument("--format", choices=("jsonl", "csv", "parquet"), default="jsonl",
                        help="parquet needs pyarrow (pip install 'nianbao[parquet]') and --out")
    parser.add_argument("--out", type=Path, help="file to write (default: standard output); "
                                                 "codebook.csv is written beside it")
    parser.add_argument("--excel", action="store_true",
                        help="CSV in UTF-8 with a BOM, so Excel and WPS read the Chinese")
    parser.add_argument("--codebook-header", action="store_true",
                        help="JSON lines: a first line {\"codebook\": …} with every key's "
                             "labels")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.format == "parquet":
        from .export_parquet import run_parquet

        return run_parquet(args, META_COLUMNS)
    excel = args.excel and args.format == "csv"
    with Store(db_url(args)) as store:
        rows = (report_json(r) for r in store.newest_reports())
        if args.out:
            with open(args.out, "w", encoding=spreadsheet_encoding(excel), newline="") as out:
                write(out, rows, args.format, args.codebook_header)
        else:
            if excel:
                sys.stdout.write(BOM)
            write(sys.stdout, rows, args.format, args.codebook_header)
    if args.out:
        codebook.write_beside(args.out, excel=excel)
    return 0


def write(out: TextIO, rows: Iterable[dict], fmt: str, codebook_header: bool = False) -> None:
    if fmt == "jsonl":
        if codebook_header:
            out.write(json.dumps(codebook.header_block(), ensure_ascii=False) + "\n")
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    # CSV: one wide row per report, metadata then a column per canonical key.
    keys = list(load_schema().keys)
    writer = csv.writer(out)
    writer.writerow(META_COLUMNS + keys + ["checks_failed"])
    for row in rows:
        writer.writerow([row.get(m) for m in META_COLUMNS] + [row["values"].get(k) for k in keys]
                        + [";".join(c["key"] for c in row["checks_failed"])])
