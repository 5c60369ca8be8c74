"""One module per `nianbao` command. Each has ``register(subparsers)``; the parser it adds
sets ``func`` to the function that runs it (returning the exit status).

The table below names each command's module and its one-line help, so that `nianbao --help`
lists every command without importing any of them (SQLAlchemy, Scrapy and matplotlib take
a second or more to load); only the command being run is imported. A new command is one
line here. tests/test_cli.py checks that each help line is the one its module registers.
"""

from __future__ import annotations

# name -> (module under nianbao.commands, help shown by `nianbao --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "crawl the bundled demo portals on 127.0.0.1"),
    "crawl": ("crawl", "crawl the portals of a config file"),
    "parse": ("parse", "parse one local document, print report JSON"),
    "keys": ("keys", "list the canonical keys with their Chinese and English labels"),
    "export": ("export", "write every stored report (one row each)"),
    "query": ("query", "query the collected reports (filters, keys, group-by)"),
    "sql": ("sql", "run one read-only SQL query"),
    "serve": ("serve", "browse and query the database in a web page (Datasette, read-only)"),
    "plot": ("plot", "draw PNG charts (applications per year, outcome mix, correction rates)"),
    "schedule": ("schedule", "re-crawl portals on a yearly schedule"),
    "changes": ("changes", "what changed between crawls"),
    "replay": ("replay", "print a URL's payload as archived (no network)"),
    "reparse": ("reparse", "parse every archived document again from the WARC files (no "
                           "network)"),
    "export-wacz": ("export_wacz", "package the WARC archive as a WACZ file"),
    "workers": ("workers", "the workers of a distributed crawl"),
    "ingest": ("ingest", "archive and parse local files and folders (PDF, Word, HTML, "
                          "text)"),
    "db": ("db", "the database's schema (upgrade)"),
}
