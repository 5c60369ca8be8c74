"""`nianbao replay URL [--at TIME]`: the payload of a URL as archived, from the WARC files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archive import load_payload
from archive.reader import full_index
from archive.records import warc_timestamp

from .common import add_data_options


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("replay", help="print a URL's payload as archived (no network)")
    add_data_options(parser)
    parser.add_argument("url")
    parser.add_argument("--at", help="the capture at or before this time (2024-01-20, "
                                     "2024-01-20T08:00:00Z or 14 digits; default: the newest)")
    parser.add_argument("--raw", action="store_true",
                        help="the bytes as stored (still content-encoded), not decoded")
    parser.add_argument("--list", action="store_true", help="list the captures of the URL")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    warc_dir = Path(args.data_dir) / "warc"
    index = full_index(warc_dir)  # with the records of files a killed crawl left open
    captures = [e for e in index.captures(args.url) if e.record_type != "resource"]
    if not captures:
        captures = index.captures(args.url)
    if args.list:
        for entry in captures:
            print(f"{entry.timestamp} {entry.record_type:8} {entry.status or '-':>3} "
                  f"{entry.digest or '-'} {entry.filename}@{entry.offset}")
        return 0 if captures else 1
    at = (warc_timestamp(args.at) + "99999999999999")[:14] if args.at else None
    chosen = None
    for entry in captures:
        if at is None or entry.timestamp <= at:
            chosen = entry
    if chosen is None:
        when = f" at or before {args.at}" if args.at else ""
        print(f"nianbao: {args.url} is not in the archive{when}", file=sys.stderr)
        return 1
    try:
        stored = load_payload(warc_dir, chosen.filename, chosen.offset, index)
    except (OSError, LookupError) as exc:
        print(f"nianbao: cannot read {chosen.filename}@{chosen.offset}: {exc}", file=sys.stderr)
        return 1
    print(f"{chosen.record_type} {chosen.timestamp} {chosen.filename}@{chosen.offset}",
          file=sys.stderr)
    sys.stdout.buffer.write(stored.raw if args.raw else stored.decoded)
    sys.stdout.flush()
    return 0
