"""`nianbao keys [PATTERN]`: the codebook, every canonical key with its labels."""

from __future__ import annotations

import argparse
import json
import sys

from .. import codebook


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "keys", help="list the canonical keys with their Chinese and English labels",
        description="The codebook: each canonical key, its label as the official template "
                    "prints it, an English label, its section and the formats that have it.")
    parser.add_argument("pattern", nargs="?", metavar="PATTERN",
                        help="a key pattern with * (applications.*.total) or words of a label "
                             "(不予公开, secret); default: every key")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    entries = codebook.matching(args.pattern)
    if not entries:
        print(f"nianbao: error: {codebook.unknown_key_message(args.pattern)}", file=sys.stderr)
        return 2
    if args.format == "csv":
        codebook.write_csv(sys.stdout, entries)
    elif args.format == "json":
        for e in entries:
            sys.stdout.write(json.dumps({"key": e.key, "label_zh": e.label_zh,
                                         "label_en": e.label_en, "section": e.section,
                                         "formats": list(e.formats), "unit": e.unit},
                                        ensure_ascii=False) + "\n")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{len(entries)} keys", show_lines=False)
        for column in ("key", "中文 (as printed)", "English", "formats"):
            table.add_column(column, overflow="fold")
        section = None
        for e in entries:
            if e.section != section:
                section = e.section
                table.add_row(f"[bold]{e.section}[/bold]", "", e.section_en, "")
            table.add_row(e.key, e.label_zh + (f"（{e.unit}）" if e.unit and e.unit not in
                                                e.label_zh else ""),
                          e.label_en, " ".join(e.formats))
        Console().print(table)
    return 0
