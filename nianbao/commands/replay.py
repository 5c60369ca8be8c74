"""`nianbao replay URL [--at TIME]`: the payload of a URL as archived, from the WARC files."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from .common import add_data_options


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("replay", help="print a URL's payload as archived (no network)")
    add_data_options(parser)
    parser.add_argument("url")
    parser.add_argument("--at", metavar="TIME",
                        help="the capture at or before this time: ISO 8601 (2024-01-20, "
                             "2024-01-20T08:00:00Z, 2024-01-20T16:00+08:00) or WARC digits "
                             "(20240120080000, or a prefix of them); default: the newest")
    parser.add_argument("--raw", action="store_true",
                        help="the bytes as stored (still content-encoded), not decoded")
    parser.add_argument("--list", action="store_true", help="list the captures of the URL")
    parser.set_defaults(func=run)


def capture_time(text: str) -> str:
    """The latest 14-digit WARC timestamp (UTC) that `text` covers: a whole day for a date,
    a whole minute for a minute. Anything else is a usage error (exit 2), never "the
    newest capture"."""
    value = text.strip()
    if re.fullmatch(r"\d{4}(?:\d{2}){0,5}", value):
        try:
            datetime.strptime(value, "%Y%m%d%H%M%S"[:len(value) - 2])
        except ValueError:
            raise ValueError(f"not a valid time: {text!r}") from None
        return (value + "1231235959")[:14] if len(value) == 4 else (
            value + "99999999999999")[:14]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"not ISO 8601 (2024-01-20T08:00:00Z) nor YYYYMMDDhhmmss: {text!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    stamp = moment.strftime("%Y%m%d%H%M%S")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return stamp[:8] + "235959"  # a date: any capture that day
    if re.fullmatch(r"[^:]*T?\d{2}:\d{2}(?:[+-]\d{2}:?\d{2}|Z)?", value):
        return stamp[:12] + "59"  # to the minute
    return stamp


def run(args: argparse.Namespace) -> int:
    from nianbao.archive import load_payload
    from nianbao.archive.reader import full_index

    try:
        at = capture_time(args.at) if args.at else None
    except ValueError as exc:
        print(f"nianbao: error: --at: {exc}", file=sys.stderr)
        return 2
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
