"""`nianbao export`: every report once (or every copy of it) as JSON lines, CSV or Parquet.

One row per report (an agency's statistics year), from the copy the ``latest_report`` view
picks (store/views.py says the rule; ingest keeps the choice in ``report_current``), with
``copies`` (how many documents carry the report, and their URLs), ``copies_disagree``
(whether their values differ), ``source`` (the WARC record the values were read from),
``status`` and ``parser_version``. ``--all-copies``
writes each copy instead (``chosen`` marks the one the single row is taken from). Rows are
streamed from the database a batch at a time.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from .. import codebook
from ..typed_export import BOM, spreadsheet_encoding
from .common import add_data_options, open_for_reading

META_COLUMNS = ["agency", "province", "city", "district", "division_code", "year", "format",
                "title", "url", "published", "parser_version"]
COPY_COLUMNS = ["status", "copies", "copies_urls", "copies_disagree"]
SOURCE_COLUMNS = ["warc_file", "warc_offset", "warc_record_id", "fetched_at"]


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("export", help="write every stored report (one row each)")
    add_data_options(parser)
    parser.add_argument("--format", choices=("jsonl", "csv", "parquet"), default="jsonl",
                        help="parquet needs pyarrow (pip install 'nianbao[parquet]') and --out")
    parser.add_argument("--out", type=Path, help="file to write (default: standard output); "
                                                 "codebook.csv is written beside it")
    parser.add_argument("--all-copies", action="store_true",
                        help="a row per copy of each report (each URL that carries it)")
    parser.add_argument("--excel", action="store_true",
                        help="CSV in UTF-8 with a BOM, so Excel and WPS read the Chinese")
    parser.add_argument("--codebook-header", action="store_true",
                        help="JSON lines: a first line {\"codebook\": …} with every key's "
                             "labels")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.format == "parquet":
        from .export_parquet import run_parquet

        return run_parquet(args)
    excel = args.excel and args.format == "csv"
    with open_for_reading(args) as store:
        rows = store.reports(all_copies=args.all_copies)
        if args.out:
            with open(args.out, "w", encoding=spreadsheet_encoding(excel), newline="") as out:
                write(out, rows, args.format, all_copies=args.all_copies,
                      codebook_header=args.codebook_header)
        else:
            if excel:
                sys.stdout.write(BOM)
            write(sys.stdout, rows, args.format, all_copies=args.all_copies,
                  codebook_header=args.codebook_header)
    if args.out:
        codebook.write_beside(args.out, excel=excel)
    return 0


def columns(all_copies: bool = False) -> list[str]:
    """The CSV and Parquet columns: metadata, a column per canonical key, the failed checks,
    then (added later, so after the columns scripts already count on) status, copies and
    source."""
    from nianbao.parsers.schema import load_schema

    return (META_COLUMNS + list(load_schema().keys) + ["checks_failed"] + COPY_COLUMNS
            + (["chosen"] if all_copies else []) + SOURCE_COLUMNS)


def flat(row: dict, keys: list[str]) -> dict:
    """A report as one wide row (CSV, Parquet)."""
    source = row.get("source") or {}
    out = {m: row.get(m) for m in META_COLUMNS}
    out.update(status=row.get("status"), copies=row["copies"]["count"],
               copies_urls=" ".join(row["copies"]["urls"]),
               copies_disagree=row["copies_disagree"])
    if "chosen" in row:
        out["chosen"] = row["chosen"]
    out.update({c: source.get(c) for c in SOURCE_COLUMNS})
    out.update({k: row["values"].get(k) for k in keys})
    out["checks_failed"] = ";".join(c["key"] for c in row["checks_failed"])
    return out


def write(out: TextIO, rows: Iterable[dict], fmt: str, *, all_copies: bool = False,
          codebook_header: bool = False) -> None:
    if fmt == "jsonl":
        if codebook_header:
            out.write(json.dumps(codebook.header_block(), ensure_ascii=False) + "\n")
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    from nianbao.parsers.schema import load_schema

    keys = list(load_schema().keys)
    names = columns(all_copies)
    writer = csv.writer(out)
    writer.writerow(names)
    for row in rows:
        wide = flat(row, keys)
        writer.writerow([wide.get(c) for c in names])
