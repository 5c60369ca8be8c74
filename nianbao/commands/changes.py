"""`nianbao changes`: what changed between crawls (new, revised, removed, reappeared)."""

from __future__ import annotations

import argparse
import json

from .common import add_data_options, read_url


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("changes", help="what changed between crawls")
    add_data_options(parser)
    parser.add_argument("--format", choices=("text", "jsonl"), default="text")
    parser.add_argument("--crawl-run", type=int, help="only the changes this crawl run found")
    parser.add_argument("--kind", action="append", default=[],
                        choices=("new", "revised", "removed", "reappeared"),
                        help="only changes of this kind (repeatable)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from nianbao.scheduler.changes import detect_changes, list_changes
    from nianbao.store import Store

    # a database that is not there is a usage error; one that is gets the change log of
    # its newest crawls written, so it is upgraded like any database a command writes to
    with Store(read_url(args, upgrade_ok=True), upgrade=True) as store:
        # crawls run by `nianbao crawl` (not the scheduler) are looked at here
        detect_changes(store.session)
        for change in list_changes(store.session, crawl_run=args.crawl_run, kinds=args.kind):
            if args.format == "jsonl":
                print(json.dumps(change, ensure_ascii=False))
            else:
                print(text_line(change))
    return 0


def text_line(change: dict) -> str:
    line = (f"{change['detected_at']}  {change['kind']:<10} {change['agency']} "
            f"{change['year']}  {change['url']}")
    if change.get("diff"):
        cells = "; ".join(f"{key}: {old} → {new}" for key, (old, new) in change["diff"].items())
        line += f"\n    {len(change['diff'])} values: {cells}"
    elif change.get("text_only"):
        line += "\n    text changed, values equal"
    if change["kind"] == "removed" and change.get("reason"):
        line += f"\n    {change['reason']}"
    return line
