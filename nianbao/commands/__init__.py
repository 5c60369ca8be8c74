"""One module per `nianbao` command. Each has ``register(subparsers)``; the parser it adds
sets ``func`` to the function that runs it (returning the exit status)."""

from . import crawl, demo, export, parse

COMMANDS = [demo, crawl, parse, export]
