"""`nianbao workers --distributed REDIS_URL`: the workers of a shared crawl and their state."""

from __future__ import annotations

import argparse
import sys

from ..errors import ConfigError


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("workers", help="the workers of a distributed crawl")
    parser.add_argument("--distributed", metavar="REDIS_URL", required=True,
                        help="the crawl's Redis (redis://HOST:PORT/DB)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    import redis

    from nianbao.crawler.cluster import cluster_state, redis_from_url

    from ..distributed import check_redis_url

    check_redis_url(args.distributed)
    try:
        workers, queued, leased = cluster_state(redis_from_url(args.distributed))
    except redis.RedisError as exc:
        raise ConfigError(f"--distributed {args.distributed}: Redis does not answer "
                          f"({exc})") from exc
    if args.format == "json":
        print(json.dumps({"queued": queued, "leased": leased,
                          "workers": [w.__dict__ for w in workers]}, ensure_ascii=False))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(workers)} workers · {queued} queued · {leased} leased")
    for column in ("worker", "state", "alive", "leases", "pages", "pages/s", "last seen"):
        table.add_column(column, justify="right" if column in (
            "leases", "pages", "pages/s", "last seen") else "left")
    for w in workers:
        table.add_row(w.worker, w.state, "yes" if w.alive else "no", str(w.leases),
                      str(w.pages), f"{w.pages_per_second:.1f}", f"{w.last_seen:.0f} s ago")
    console = Console() if sys.stdout.isatty() else Console(width=120)
    console.print(table)
    return 0
