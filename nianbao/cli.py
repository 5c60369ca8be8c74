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
        return args.func(args) or 0
    except UsageError as exc:
        print(f"nianbao: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except Exception as exc:
        from .config import ConfigError

        if isinstance(exc, ConfigError):
            print(f"nianbao: error: {exc}", file=sys.stderr)
            return 2
        if args.debug:
            raise
        print(f"nianbao: error: {type(exc).__name__}: {exc} (--debug shows where)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
