"""Options and helpers shared by the commands that read or write collected data."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from store import default_url

DEFAULT_DATA_DIR = Path("./nianbao-data")


def add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, type=Path,
                        help="where the database and WARC files live (default %(default)s)")
    parser.add_argument("--db", help="SQLAlchemy database URL (default: SQLite in the data "
                                     "dir; also NIANBAO_DB_URL)")


def db_url(args: argparse.Namespace) -> str:
    """--db, else NIANBAO_DB_URL, else SQLite at DATA/nianbao.sqlite."""
    url = args.db or os.environ.get("NIANBAO_DB_URL")
    if url:
        return url
    args.data_dir.mkdir(parents=True, exist_ok=True)
    return default_url(args.data_dir.resolve())
