"""`nianbao serve`: Datasette over the SQLite database, read-only, on 127.0.0.1.

Datasette opens a database file with ``mode=ro``, and it runs only SELECTs; nianbao adds
the browse database (nianbao/browse.py: reports, regions, agencies, search), the metadata
(descriptions from the codebook, facets, canned queries) and the charts of `nianbao plot`.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import socket
import sys
from pathlib import Path

from nianbao.store import questions

from .common import add_data_options, db_url, read_url


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="browse and query the database in a web page "
                                               "(Datasette, read-only)")
    add_data_options(parser)
    parser.add_argument("--port", type=int, default=8001,
                        help="default %(default)s; 0: any free port (the one chosen is printed)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default %(default)s: this machine only)")
    parser.add_argument("--no-charts", action="store_true",
                        help="do not draw the charts for the front page")
    parser.set_defaults(func=run)


PLUGINS_DIR = Path(__file__).resolve().parent.parent / "serve_plugins"


def datasette_command(db_paths: list[Path], metadata_path: Path, host: str, port: int,
                      static: dict[str, Path]) -> list[str]:
    command = [sys.executable, "-m", "datasette", "serve", *map(str, db_paths), "--host", host,
               "--port", str(port), "--metadata", str(metadata_path),
               "--plugins-dir", str(PLUGINS_DIR),
               # The collected database's views pivot every cell per report when a person
               # asks for them by SQL; Datasette's defaults (1 s per query, 200 ms per facet)
               # drop facets silently on a busy machine.
               "--setting", "sql_time_limit_ms", "10000",
               "--setting", "facet_time_limit_ms", "5000",
               # suggestions try a facet on each of the 270 columns of `reports`
               "--setting", "suggest_facets", "off",
               # 50 rows of `report_cells` are 11,000 cells for Datasette to render
               "--setting", "default_page_size", "50"]
    for mount, directory in static.items():
        command += ["--static", f"{mount}:{directory}"]
    return command


def claim_port(host: str, port: int) -> int:
    """The port to serve on: a free one for 0; OSError (EADDRINUSE) if `port` is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, port))
        return sock.getsockname()[1]


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from .. import browse, datasette_metadata

    url = db_url(args, create=False)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        print("nianbao: error: nianbao serve browses a SQLite database (Datasette); for "
              f"{parsed.get_backend_name()} use `nianbao query` and `nianbao sql`, or "
              "`nianbao export` to a file", file=sys.stderr)
        return 2
    read_url(args)  # reads only: never made, never migrated (exit 2 if it needs to be)
    try:
        port = claim_port(args.host, args.port)
    except OSError as exc:
        reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc})"
        print(f"nianbao: error: port {args.port} on {args.host} {reason}; choose another "
              "with --port (0: any free port)", file=sys.stderr)
        return 2
    if not _loopback(args.host):
        print(f"nianbao: warning: --host {args.host} is not a loopback address: the whole "
              f"database becomes readable by anyone who can reach this machine on the "
              f"network (port {port})", file=sys.stderr, flush=True)
    db_path = Path(parsed.database).resolve()

    serve_dir = (args.data_dir / "serve").resolve()
    browse_path = serve_dir / f"{datasette_metadata.BROWSE}.sqlite"
    if browse.is_stale(db_path, browse_path):
        print("nianbao: building the browse database (reports, regions, agencies, search)",
              file=sys.stderr, flush=True)
        browse.build(db_path, browse_path, (args.data_dir / "warc").resolve())

    static = {"nianbao-static": serve_dir / "static"}
    static["nianbao-static"].mkdir(parents=True, exist_ok=True)
    (static["nianbao-static"] / "nianbao.css").write_text(datasette_metadata.CSS,
                                                          encoding="utf-8")
    chart_urls = []
    if not args.no_charts:
        charts_dir = (args.data_dir / "charts").resolve()
        try:
            from sqlalchemy import create_engine

            from .. import charts

            # from the browse database's `reports`, the table the canned queries read
            engine = create_engine(f"sqlite:///{browse_path}")
            try:
                with engine.connect() as connection:
                    paths = charts.draw(connection, questions.Query(keys=[]), charts_dir,
                                        table="reports")
            finally:
                engine.dispose()
            chart_urls = [f"/charts/{p.name}" for p in paths]
            static["charts"] = charts_dir
        except Exception as exc:  # a chart is a nicety: browsing works without it
            print(f"nianbao: warning: charts not drawn: {exc}", file=sys.stderr)

    metadata = datasette_metadata.metadata(db_path.stem, chart_urls)
    metadata["extra_css_urls"] = ["/nianbao-static/nianbao.css"]
    metadata_path = serve_dir / "datasette-metadata.json"
    metadata_path.write_text(json.dumps(metadata, ensure_ascii=False, indent=1),
                             encoding="utf-8")
    print(f"serving {db_path} read-only on http://{args.host}:{port}/", flush=True)
    command = datasette_command([browse_path, db_path], metadata_path, args.host, port, static)
    # Datasette takes over this process: Ctrl-C and signals reach the server itself.
    os.execv(command[0], command)
    return 1  # not reached


def _loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to any interface
