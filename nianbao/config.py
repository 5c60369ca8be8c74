"""Portal configuration files (TOML), checked strictly: a typo is an error, not a default."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from crawler.portal import Portal
from scheduler.jobs import check_schedule


class ConfigError(ValueError):
    """A config file that cannot be used; the message is one line naming the problem."""


_FIELDS = {
    "name": str, "start_urls": list, "allowed_hosts": list, "agency": str, "render": str,
    "max_pages": int, "requests_per_second": (int, float),
    "schedule": str,  # crontab line for `nianbao schedule` (scheduler.jobs)
    # crawler options (Portal.options): robots.txt override (logged), link-depth bound,
    # seconds a request may take (Scrapy's DOWNLOAD_TIMEOUT, 60, otherwise)
    "obey_robots": bool, "max_depth": int, "timeout": (int, float),
    # navigation pages a crawl may spend on the way to the reports (docs/discovery.md)
    "hub_budget": int,
}
_BOOLEAN = {"obey_robots"}
_REQUIRED = ("name", "start_urls", "allowed_hosts")


def load_config(path: Path | str) -> list[Portal]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from exc
    return parse_config(text, str(path))


def parse_config(text: str, source: str = "<config>") -> list[Portal]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from exc
    for key in data:
        if key != "portal":
            raise ConfigError(f"{source}:{_line_of(text, key)}: unknown key '{key}'")
    tables = data.get("portal", [])
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{source}: no [[portal]] tables")
    portals, names = [], set()
    for index, table in enumerate(tables, 1):
        where = f"{source}: portal #{index}"
        for key, value in table.items():
            if key not in _FIELDS:
                raise ConfigError(f"{source}:{_line_of(text, key)}: unknown key '{key}' in "
                                  f"portal #{index}")
            if not isinstance(value, _FIELDS[key]) or (isinstance(value, bool)
                                                       and key not in _BOOLEAN):
                raise ConfigError(f"{source}:{_line_of(text, key)}: '{key}' has the wrong type")
        for key in _REQUIRED:
            if not table.get(key):
                raise ConfigError(f"{where}: missing '{key}'")
        if table["name"] in names:
            raise ConfigError(f"{where}: duplicate portal name '{table['name']}'")
        names.add(table["name"])
        render = table.get("render", "auto")
        if render not in ("auto", "always", "never"):
            raise ConfigError(f"{where}: render must be auto, always or never, not '{render}'")
        schedule = table.get("schedule")
        if schedule is not None and (problem := check_schedule(schedule)):
            raise ConfigError(f"{source}:{_line_of(text, 'schedule')}: bad schedule "
                              f"'{schedule}': {problem}")
        portal = Portal(
            name=table["name"], start_urls=tuple(table["start_urls"]),
            allowed_hosts=tuple(table["allowed_hosts"]), agency=table.get("agency"),
            render=render, max_pages=table.get("max_pages", 2000),
            requests_per_second=float(table.get("requests_per_second", 1.0)),
            # optional keys the crawler (obey_robots, max_depth, timeout) and the scheduler
            # read
            options={k: table[k] for k in ("obey_robots", "max_depth", "timeout", "schedule",
                                           "hub_budget") if k in table},
        )
        if portal.options.get("timeout", 1) <= 0:
            raise ConfigError(f"{where}: timeout must be positive")
        if portal.max_pages < 1 or portal.requests_per_second <= 0:
            raise ConfigError(f"{where}: max_pages and requests_per_second must be positive")
        for url in portal.start_urls:
            if not portal.allows(url):
                raise ConfigError(f"{where}: start URL {url} is not on its allowed_hosts")
        portals.append(portal)
    return portals


def _line_of(text: str, key: str) -> int:
    pattern = re.compile(rf"^\s*\[*\s*{re.escape(key)}\s*[\]=]", re.M)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 0
