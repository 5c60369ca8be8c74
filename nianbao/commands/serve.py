"""`nianbao serve`: Datasette over the SQLite database, read-only, on 127.0.0.1.

Datasette opens a database file with ``mode=ro``, and it runs only SELECTs; nianbao adds
the metadata (descriptions, facets, canned queries) and the charts of `nianbao plot`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from store import Store

from .. import queries
from .common import add_data_options, db_url, read_url


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="browse and query the database in a web page "
                                               "(Datasette, read-only)")
    add_data_options(parser)
    parser.add_argument("--port", type=int, default=8001, help="default %(default)s")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default %(default)s: this machine only)")
    parser.add_argument("--no-charts", action="store_true",
                        help="do not draw the charts for the front page")
    parser.set_defaults(func=run)


def datasette_command(db_path: Path, metadata_path: Path, host: str, port: int,
                      charts_dir: Path | None) -> list[str]:
    command = [sys.executable, "-m", "datasette", "serve", str(db_path), "--host", host,
               "--port", str(port), "--metadata", str(metadata_path),
               # The rates views pivot every cell per report; Datasette's defaults (1 s per
               # query, 200 ms per facet) drop facets silently on a busy machine.
               "--setting", "sql_time_limit_ms", "10000",
               "--setting", "facet_time_limit_ms", "5000"]
    if charts_dir is not None:
        command += ["--static", f"charts:{charts_dir}"]
    return command


def run(args: argparse.Namespace) -> int:
    from .. import datasette_metadata

    url = db_url(args, create=False)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        print("nianbao: error: nianbao serve browses a SQLite database (Datasette); for "
              f"{parsed.get_backend_name()} use `nianbao query` and `nianbao sql`, or "
              "`nianbao export` to a file", file=sys.stderr)
        return 2
    read_url(args)  # reads only: never made, never migrated (exit 2 if it needs to be)
    db_path = Path(parsed.database).resolve()

    charts_dir, chart_urls = None, []
    if not args.no_charts:
        charts_dir = (args.data_dir / "charts").resolve()
        try:
            from .. import charts

            with Store(url) as store, store.engine.connect() as connection:
                paths = charts.draw(connection, queries.Query(keys=[]), charts_dir)
            chart_urls = [f"/charts/{p.name}" for p in paths]
        except Exception as exc:  # a chart is a nicety: browsing works without it
            print(f"nianbao: warning: charts not drawn: {exc}", file=sys.stderr)
            charts_dir = None

    metadata_path = (args.data_dir / "datasette-metadata.json").resolve()
    metadata_path.write_text(json.dumps(datasette_metadata.metadata(db_path.stem, chart_urls),
                                        ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"serving {db_path} read-only on http://{args.host}:{args.port}/", flush=True)
    command = datasette_command(db_path, metadata_path, args.host, args.port, charts_dir)
    # Datasette takes over this process: Ctrl-C and signals reach the server itself.
    os.execv(command[0], command)
    return 1  # not reached
