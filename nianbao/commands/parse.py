"""`nianbao parse FILE`: parse one local document and print its report JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("parse", help="parse one local document, print report JSON")
    parser.add_argument("file", type=Path)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from nianbao import parsers

    try:
        body = args.file.read_bytes()
    except OSError as exc:
        print(f"nianbao: error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        report = parsers.parse_document(body, name=args.file.name)
    except parsers.ParseError as exc:
        print(f"nianbao: {args.file}: {exc}", file=sys.stderr)
        return 1
    json.dump(report.to_json(), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0
