"""`nianbao demo`: crawl the bundled demo portals; needs no configuration and no network."""

from __future__ import annotations

import argparse

from rich.console import Console

from ..config import parse_config
from .common import add_data_options
from .crawl import add_progress_option, crawl_and_report


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("demo", help="crawl the bundled demo portals on 127.0.0.1")
    add_data_options(parser)
    add_progress_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..demo import DemoPortals

    with DemoPortals() as demo:
        portals = parse_config(demo.config_toml(), "demo portals")
        Console(stderr=True).print("Serving the demo portals: " + ", ".join(
            f"{p.name} {p.start_urls[0]}" for p in portals))
        return crawl_and_report(args, portals, "demo")
