"""`nianbao crawl`: crawl the portals of a config file, archive, parse, store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from nianbao.crawler import Portal

from ..config import ConfigError, load_config
from .common import add_data_options, db_url


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("crawl", help="crawl the portals of a config file")
    add_data_options(parser)
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--portal", action="append", default=[], help="only this portal")
    parser.add_argument("--distributed", metavar="REDIS_URL",
                        help="be one worker of a crawl shared through Redis "
                             "(redis://HOST:PORT/DB; docs/distributed.md)")
    parser.add_argument("--workers", type=int, metavar="K",
                        help="with --distributed: start K worker processes here")
    add_progress_option(parser)
    parser.set_defaults(func=run)


def add_progress_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-progress", action="store_true", help="no live progress table")


def run(args: argparse.Namespace) -> int:
    if args.workers is not None or args.distributed:
        from ..distributed import check_redis_url, run_local_workers

        if not args.distributed:
            raise ConfigError("--workers needs --distributed REDIS_URL (the shared queue)")
        check_redis_url(args.distributed)
        if args.workers is not None:
            from ..distributed import worker_settings

            load_config(args.config)  # a bad config or an unreachable Redis fails once, here
            worker_settings(args.distributed)
            argv = ["crawl", "--config", str(args.config), "--data-dir", str(args.data_dir),
                    "--distributed", args.distributed, "--no-progress"]
            argv += ["--db", args.db] if args.db else []
            argv += [a for name in args.portal for a in ("--portal", name)]
            return run_local_workers(argv, args.workers)
    portals = load_config(args.config)
    if args.portal:
        unknown = set(args.portal) - {p.name for p in portals}
        if unknown:
            raise ConfigError(f"no portal named {', '.join(sorted(unknown))} in {args.config}")
        portals = [p for p in portals if p.name in args.portal]
    return crawl_and_report(args, portals, "crawl")


def crawl_and_report(args: argparse.Namespace, portals: list[Portal], command: str) -> int:
    """Run the crawl with a live table on a terminal, then print the summary."""
    from nianbao.crawler.frontier import FrontierBusy

    from ..crawl import run_crawl
    from ..progress import portal_table

    url = db_url(args)
    extra = None
    if getattr(args, "distributed", None):
        from ..distributed import worker_settings

        extra = worker_settings(args.distributed)
    try:
        summary = run_crawl(portals, data_dir=args.data_dir, db_url=url, command=command,
                            progress=not args.no_progress and sys.stderr.isatty(),
                            extra_settings=extra, debug=getattr(args, "debug", False))
    except FrontierBusy as exc:
        print(f"nianbao: error: {exc}", file=sys.stderr)
        return 1
    # Wide enough for every column when the output is a file or a pipe (rich assumes 80).
    console = Console() if sys.stdout.isatty() else Console(width=150)
    console.print(portal_table(summary.stats, summary.portals,
                               title=f"crawl run {summary.run_id}: {summary.status}"))
    console.print(f"{summary.total('documents')} documents fetched, "
                  f"{summary.total('reports')} reports parsed, "
                  f"{summary.total('checks_failed')} with failed checks, "
                  f"{summary.total('errors')} errors")
    from nianbao.crawler.diagnose import why_nothing  # discovery: docs/discovery.md

    for name in summary.portals:
        if (reason := why_nothing(summary.stats, name)) is not None:
            console.print(f"no report: {name}: {reason}")
    for name, blocked_at in summary.blocked.items():
        console.print(f"blocked: {name} at {blocked_at}")
    traps = {k: v for k, v in summary.stats.items()
             if k.startswith(("nianbao/page_limit_hit/", "nianbao/depth_limit_hit/"))}
    for key, count in sorted(traps.items()):
        console.print(f"bounded: {key.split('/')[1].replace('_hit', '')} "
                      f"{key.split('/')[2]}: {count} links not followed")
    for key, count in sorted(summary.stats.items()):
        if key.startswith("nianbao/out_of_scope/"):
            name = key.rsplit("/", 1)[1]
            console.print(f"out of scope: {name}: {count} requests refused, not fetched")
            for refused in summary.stats.get(f"nianbao/out_of_scope_urls/{name}", []):
                console.print(f"  {refused}", soft_wrap=True)
    console.print(f"database: {url}\nWARC files: {args.data_dir / 'warc'}")
    if summary.recovered_rows:
        console.print(f"recovered: {summary.recovered_rows} archived records an earlier run "
                      f"left without a database row were indexed")
    failures = summary.failures()
    if summary.status != "completed":
        print(f"nianbao: crawl run {summary.run_id} interrupted: {summary.reason}; run it "
              f"again to resume", file=sys.stderr)
    for name, why in failures.items():
        print(f"nianbao: portal {name} failed: {why}", file=sys.stderr)
    return 0 if summary.status == "completed" and not failures else 1
