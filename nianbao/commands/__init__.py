"""One module per `nianbao` command. Each has ``register(subparsers)``; the parser it adds
sets ``func`` to the function that runs it (returning the exit status)."""

from . import (  # archive (issue 5)
    changes,
    crawl,
    db,
    demo,
    export,
    export_wacz,
    ingest,
    parse,
    plot,
    query,
    reparse,
    replay,
    schedule,
    serve,
    sql,
)

COMMANDS = [demo, crawl, parse, export, query, sql, serve, plot, schedule, changes]
COMMANDS += [replay, reparse, export_wacz]  # archive (issue 5)
COMMANDS += [ingest, db]  # one ingest path (issue 14)
