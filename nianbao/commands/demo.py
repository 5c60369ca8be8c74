"""`nianbao demo`: crawl the bundled demo portals; needs no configuration and no network."""

from __future__ import annotations

import argparse

from rich.console import Console

from ..config import parse_config
from .common import add_data_options
from .crawl import add_progress_option, crawl_and_report

DEFAULT_PORT = 8731
PORTALS = 8  # demo-tianjin, demo-multi and the six CMS-pattern portals (demo-home included)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("demo", help="crawl the bundled demo portals on 127.0.0.1")
    add_data_options(parser)
    add_progress_option(parser)
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT,
        help=f"first of the {PORTALS} ports the demo portals use (default {DEFAULT_PORT}; "
        "0: any free ports). The same ports every run make a second run a re-crawl of the "
        "same URLs: revisit records, conditional requests.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..demo import DemoPortals

    console = Console(stderr=True)
    ports = tuple(range(args.port, args.port + PORTALS)) if args.port else (0, 0)
    demo = DemoPortals(ports)
    try:
        demo.start()
    except OSError as exc:
        if not args.port:
            raise
        console.print(f"Ports {args.port}-{args.port + PORTALS - 1} are not free ({exc}): "
                      "serving on other ports, so this run's URLs are new to the archive.")
        demo = DemoPortals()
        demo.start()
    with demo:
        portals = parse_config(demo.config_toml(), "demo portals")
        console.print("Serving the demo portals: " + ", ".join(
            f"{p.name} {p.start_urls[0]}" for p in portals))
        return crawl_and_report(args, portals, "demo")
