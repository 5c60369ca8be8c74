"""Logging and setting overrides from the command line, as Scrapy users know them:
``--loglevel``, ``--logfile`` and ``-s NAME=VALUE``.

The options are global (``nianbao --loglevel INFO crawl …``) and also accepted after the
command (``nianbao crawl … -s DOWNLOAD_DELAY=2``). Crawls hand them to Scrapy as settings
(LOG_LEVEL, LOG_FILE and the overrides), so Scrapy's own logging set-up applies them; the
other commands configure Python's logging with the same level and file.
"""

from __future__ import annotations

import logging
import re
import sys

LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"

# What the command line asked for; read by crawls (nianbao.crawl) through scrapy_settings().
_overrides: dict[str, str] = {}
_handler: logging.Handler | None = None  # the one configure() installed


class UsageError(ValueError):
    """A malformed option value (exit status 2)."""


def parse_setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise UsageError(f"-s takes NAME=VALUE, not {text!r}")
    return name.strip(), value


def configure(level: str | None, logfile: str | None, settings: list[str]) -> None:
    """Remember the overrides and set up Python's logging when asked to."""
    _overrides.clear()
    for text in settings:
        name, value = parse_setting(text)
        _overrides[name] = value
    if level:
        _overrides["LOG_LEVEL"] = level
    if logfile:
        _overrides["LOG_FILE"] = logfile
    if level or logfile:
        handler: logging.Handler = (logging.FileHandler(logfile, encoding="utf-8") if logfile
                                    else logging.StreamHandler(sys.stderr))
        handler.setFormatter(logging.Formatter(FORMAT))
        logging.basicConfig(level=level or "INFO", handlers=[handler], force=True)
        global _handler
        _handler = handler


def scrapy_settings() -> dict[str, str]:
    """Settings a crawl takes from the command line. Off a terminal (a service, cron, a
    pipe) the default level is INFO, so the log shows the periodic stats lines; on one, the
    live table shows progress and only warnings are logged."""
    global _handler
    if _handler is not None:
        # Scrapy installs its own root handler from LOG_LEVEL and LOG_FILE: one is enough
        logging.root.removeHandler(_handler)
        _handler.close()
        _handler = None
    out = dict(_overrides)
    if "LOG_LEVEL" not in out and not sys.stderr.isatty():
        out["LOG_LEVEL"] = "INFO"
    return out


_PASSWORD = re.compile(r"(://[^:/@\s'\"]+:)[^@\s'\"]+@")


class RedactPasswords(logging.Filter):
    """Scrapy logs its overridden settings at INFO, NIANBAO_DB_URL among them: a
    PostgreSQL password must not reach a log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "://" in message and "@" in message:
            record.msg, record.args = _PASSWORD.sub(r"\1***@", message), None
        return True


# Every Store checks its migrations; at INFO Alembic would say so each time.
logging.getLogger("alembic").setLevel(logging.WARNING)
for _name in ("scrapy.crawler", "scrapy.utils.log", "scrapy.middleware"):
    logging.getLogger(_name).addFilter(RedactPasswords())


def overrides() -> dict[str, str]:
    return dict(_overrides)
