"""`nianbao db upgrade`: bring a database's schema to the newest migration, explicitly.

Commands that write (crawl, demo, ingest, reparse, schedule) upgrade on their own; the ones
that only read never change a database, and say when one needs this.
"""

from __future__ import annotations

import argparse

from .common import add_data_options, db_url


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("db", help="the database's schema (upgrade)")
    actions = parser.add_subparsers(dest="db_action", required=True, metavar="ACTION")
    upgrade = actions.add_parser("upgrade", help="apply every migration the database lacks "
                                                 "(made if new)")
    add_data_options(upgrade)
    upgrade.set_defaults(func=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    from rich.console import Console

    from nianbao.store import Store
    from nianbao.store.db import current_revisions, head_revision

    url = db_url(args)
    with Store(url) as store, store.engine.connect() as connection:
        before = current_revisions(connection)
    with Store(url, upgrade=True) as store:
        counts = store.counts()
    after = head_revision()
    said = ", ".join(before) or "an empty database"
    Console().print(f"database schema: {said} → {after}" if before != (after,) else
                    f"database schema already at {after}")
    Console().print(", ".join(f"{n} {name}" for name, n in counts.items()))
    return 0
