"""One module per `nianbao` command. Each has ``register(subparsers)``; the parser it adds
sets ``func`` to the function that runs it (returning the exit status)."""

from . import (  # archive (issue 5)
    changes,
    crawl,
    demo,
    export,
    export_wacz,
    parse,
    plot,
    query,
    reparse,
    replay,
    schedule,
    serve,
    sql,
    workers,
)

COMMANDS = [demo, crawl, parse, export, query, sql, serve, plot, schedule, changes]
COMMANDS += [replay, reparse, export_wacz]  # archive (issue 5)
COMMANDS += [workers]  # distributed crawling (issue 17)
