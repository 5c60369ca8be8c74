"""The `nianbao` command line (see interfaces.md)."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

from rich.console import Console

import parsers
from store import Store, default_url, report_json

from .config import ConfigError, load_config, parse_config

DEFAULT_DATA_DIR = "./nianbao-data"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except ConfigError as exc:
        print(f"nianbao: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nianbao", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def data_command(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help)
        sub.add_argument("--data-dir", default=DEFAULT_DATA_DIR, type=Path,
                         help="where the database and WARC files live (default %(default)s)")
        sub.add_argument("--db", help="SQLAlchemy database URL (default: SQLite in the data "
                                      "dir; also NIANBAO_DB_URL)")
        return sub

    demo = data_command("demo", "crawl the bundled demo portals on 127.0.0.1")
    demo.add_argument("--no-progress", action="store_true", help="no live progress table")
    demo.set_defaults(func=cmd_demo)

    crawl = data_command("crawl", "crawl the portals of a config file")
    crawl.add_argument("--config", required=True, type=Path)
    crawl.add_argument("--portal", action="append", default=[], help="only this portal")
    crawl.add_argument("--no-progress", action="store_true", help="no live progress table")
    crawl.set_defaults(func=cmd_crawl)

    parse = commands.add_parser("parse", help="parse one local document, print report JSON")
    parse.add_argument("file", type=Path)
    parse.set_defaults(func=cmd_parse)

    export = data_command("export", "write every stored report (newest version of each)")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.set_defaults(func=cmd_export)
    return parser


def db_url(args: argparse.Namespace) -> str:
    url = args.db or os.environ.get("NIANBAO_DB_URL")
    if url:
        return url
    args.data_dir.mkdir(parents=True, exist_ok=True)
    return default_url(args.data_dir.resolve())


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import DemoPortals

    with DemoPortals() as demo:
        portals = parse_config(demo.config_toml(), "demo portals")
        console = Console(stderr=True)
        console.print(f"Serving {len(portals)} demo portals: "
                      + ", ".join(f"{p.name} {p.start_urls[0]}" for p in portals))
        return _crawl(args, portals, "demo")


def cmd_crawl(args: argparse.Namespace) -> int:
    portals = load_config(args.config)
    if args.portal:
        unknown = set(args.portal) - {p.name for p in portals}
        if unknown:
            raise ConfigError(f"no portal named {', '.join(sorted(unknown))} in {args.config}")
        portals = [p for p in portals if p.name in args.portal]
    return _crawl(args, portals, "crawl")


def _crawl(args: argparse.Namespace, portals: list, command: str) -> int:
    from .crawl import run_crawl
    from .progress import portal_table

    url = db_url(args)
    summary = run_crawl(portals, data_dir=args.data_dir, db_url=url, command=command,
                        progress=not args.no_progress and sys.stderr.isatty())
    console = Console()
    console.print(portal_table(summary.stats, summary.portals,
                               title=f"crawl run {summary.run_id}: {summary.status}"))
    console.print(f"reports found: {summary.total('documents')} documents fetched, "
                  f"{summary.total('reports')} reports parsed, "
                  f"{summary.total('checks_failed')} with failed checks, "
                  f"{summary.total('errors')} errors")
    console.print(f"database: {url}\nWARC files: {args.data_dir / 'warc'}")
    return 0 if summary.status == "completed" else 1


def cmd_parse(args: argparse.Namespace) -> int:
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


def cmd_export(args: argparse.Namespace) -> int:
    out = open(args.out, "w", encoding="utf-8", newline="") if args.out else sys.stdout  # noqa: SIM115
    try:
        with Store(db_url(args)) as store:
            rows = (report_json(r) for r in store.newest_reports())
            if args.format == "jsonl":
                for row in rows:
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                _write_csv(out, rows)
    finally:
        if args.out:
            out.close()
    return 0


def _write_csv(out, rows) -> None:
    """One wide row per report: metadata, then a column per canonical key."""
    meta = ["agency", "province", "city", "district", "division_code", "year", "format", "title",
            "url", "published", "parser_version"]
    keys = list(parsers.schema.load_schema().keys)
    writer = csv.writer(out)
    writer.writerow(meta + keys + ["checks_failed"])
    for row in rows:
        writer.writerow([row.get(m) for m in meta] + [row["values"].get(k) for k in keys]
                        + [";".join(c["key"] for c in row["checks_failed"])])


if __name__ == "__main__":
    sys.exit(main())
