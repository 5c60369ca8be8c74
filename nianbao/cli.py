"""nianbao: collect China's government information-disclosure annual reports."""

from __future__ import annotations

import argparse
import os
import sys

from .commands import COMMANDS
from .config import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nianbao", description=__doc__)
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an unexpected error")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    for sub in commands.choices.values():  # `nianbao crawl --debug ...` works too
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit status: 0 success, 2 bad usage or config (one-line reason), 1 other failure."""
    args = build_parser().parse_args(argv)
    try:
        if hasattr(args, "db"):
            check_db_url(args.db or os.environ.get("NIANBAO_DB_URL"))
        return args.func(args) or 0
    except ConfigError as exc:
        print(f"nianbao: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one line for the user; --debug shows it all
        if getattr(args, "debug", False):
            raise
        status, message = describe_error(exc)
        print(f"nianbao: error: {message}", file=sys.stderr)
        return status


def check_db_url(url: str | None) -> None:
    """A database URL SQLAlchemy cannot use is bad usage, said in one line before any
    command starts (a database that does not answer is found out later, exit 1)."""
    if not url:
        return
    from sqlalchemy import exc as sa
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
        parsed.get_dialect()
    except (sa.ArgumentError, sa.NoSuchModuleError, ValueError) as exc:
        # the URL itself is not echoed: it may hold a password
        raise ConfigError(f"bad database URL (--db or NIANBAO_DB_URL): "
                          f"{str(exc).splitlines()[0]}") from None
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise ConfigError(f"bad database URL (--db or NIANBAO_DB_URL): port "
                          f"{parsed.port} is not 1-65535")


def describe_error(exc: Exception) -> tuple[int, str]:
    """(exit status, one line) for an error no command handled: a database URL that is
    not one is bad usage (2); anything else is a failure (1)."""
    from sqlalchemy import exc as sa

    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    if isinstance(exc, sa.ArgumentError | sa.NoSuchModuleError):
        return 2, f"bad database URL (--db or NIANBAO_DB_URL): {line}"
    if isinstance(exc, sa.OperationalError | sa.InterfaceError):
        return 1, f"database: {line}"
    return 1, f"{type(exc).__name__}: {line}" if not isinstance(exc, OSError) else line


if __name__ == "__main__":
    sys.exit(main())
