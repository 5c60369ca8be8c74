"""Options and helpers shared by the commands that read or write collected data."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    from nianbao.store import Store

DEFAULT_DATA_DIR = Path("./nianbao-data")


def add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, type=Path,
                        help="where the database and WARC files live (default %(default)s)")
    parser.add_argument("--db", help="SQLAlchemy database URL (default: SQLite in the data "
                                     "dir; also NIANBAO_DB_URL)")


def db_url(args: argparse.Namespace, *, create: bool = True) -> str:
    """--db, else NIANBAO_DB_URL, else SQLite at DATA/nianbao.sqlite (the data dir is made
    only when ``create``: a command that only reads makes nothing)."""
    url = args.db or os.environ.get("NIANBAO_DB_URL")
    if url:
        return url
    if create:
        args.data_dir.mkdir(parents=True, exist_ok=True)
    from nianbao.store import default_url

    return default_url(args.data_dir.resolve())


def open_for_writing(args: argparse.Namespace) -> Store:
    """The store of a command that writes: made if new, its schema brought up to date."""
    from nianbao.store import Store

    return Store(db_url(args), upgrade=True)


def read_url(args: argparse.Namespace, *, upgrade_ok: bool = False) -> str:
    """The database URL of a command that only reads, checked without changing anything: a
    SQLite file that is not there is a usage error (ConfigError: exit 2, nothing made), and
    so is a schema that needs `nianbao db upgrade`."""
    from sqlalchemy.engine import make_url

    from nianbao.store import SchemaError, check_current, make_engine

    url = db_url(args, create=False)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database or database == ":memory:" or not Path(database).is_file():
            raise ConfigError(f"no database at {database or url}: crawl, `nianbao ingest` "
                              "or `nianbao db upgrade` first (or give --data-dir/--db)")
    if upgrade_ok:
        return url
    engine = make_engine(url)
    try:
        check_current(engine)
    except SchemaError as exc:
        raise ConfigError(str(exc)) from None
    finally:
        engine.dispose()
    return url


def open_for_reading(args: argparse.Namespace) -> Store:
    """The store of a command that only reads: never migrated, never created."""
    from nianbao.store import Store

    return Store(read_url(args))
