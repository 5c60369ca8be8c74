"""nianbao: collect China's government information-disclosure annual reports."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Iterable, Sequence

from . import __version__
from .commands import COMMANDS
from .logs import LEVELS, UsageError

# Options that take a value, so a command name is not looked for among their values.
_GLOBAL_WITH_VALUE = {"--loglevel", "-L", "--logfile", "-s", "--set"}


def add_global_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """--loglevel, --logfile, -s and --debug: on the top parser, and again on every command
    (with suppressed defaults, so `nianbao -L INFO crawl` and `nianbao crawl -L INFO` agree)."""
    default = {"default": argparse.SUPPRESS} if suppress else {}
    parser.add_argument("-L", "--loglevel", type=str.upper, choices=LEVELS, metavar="LEVEL",
                        help="log level: CRITICAL, ERROR, WARNING, INFO or DEBUG (default: "
                             "WARNING on a terminal, INFO otherwise)", **default)
    parser.add_argument("--logfile", metavar="FILE", help="write the log to FILE, not stderr",
                        **default)
    parser.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                        help="override a crawl setting (Scrapy's or nianbao's), repeatable",
                        **({"default": argparse.SUPPRESS} if suppress else {"default": []}))
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an unexpected error", **default)


def build_parser(load: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser; the commands named in `load` (all when None) with their full
    options, the others as a name and a help line (not imported)."""
    wanted = set(COMMANDS) if load is None else set(load)
    parser = argparse.ArgumentParser(prog="nianbao", description=__doc__)
    parser.add_argument("--version", action="version", version=f"nianbao {__version__}")
    add_global_options(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_line) in COMMANDS.items():
        if name in wanted:
            importlib.import_module(f"{__package__}.commands.{module}").register(commands)
            add_global_options(commands.choices[name], suppress=True)
        else:
            commands.add_parser(name, help=help_line)
    return parser


def command_of(argv: Sequence[str]) -> str | None:
    """The command named on the command line (skipping the global options' values)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _GLOBAL_WITH_VALUE:
            skip = True
        elif arg in COMMANDS:
            return arg
        elif not arg.startswith("-"):
            return None
    return None


def _quiet_stdout() -> None:
    """The reader of our output went away (`| head`): say nothing more, exit 0. Pointing
    stdout at /dev/null stops the interpreter's final flush from failing again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    """Exit status: 0 success, 2 bad usage or config (one-line reason), 1 other failure."""
    argv = sys.argv[1:] if argv is None else argv
    command = command_of(argv)
    args = build_parser([command] if command else []).parse_args(argv)
    from . import logs

    try:
        logs.configure(args.loglevel, args.logfile, args.set)
        if hasattr(args, "db"):
            check_db_url(args.db or os.environ.get("NIANBAO_DB_URL"))
        return args.func(args) or 0
    except UsageError as exc:
        print(f"nianbao: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except Exception as exc:  # noqa: BLE001 - one line for the user; --debug shows it all
        from .errors import ConfigError

        if isinstance(exc, ConfigError):
            print(f"nianbao: error: {exc}", file=sys.stderr)
            return 2
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

    from .errors import ConfigError

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
    return 1, f"{type(exc).__name__}: {line}"


if __name__ == "__main__":
    sys.exit(main())
