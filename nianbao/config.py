"""Portal configuration files (TOML), checked strictly: a typo is an error, not a default.

Each ``[[portal]]`` table is validated by a pydantic model in strict mode (no coercion: a
number where text belongs, ``true`` where a number belongs, is an error). Every problem is
one :class:`ConfigError` line naming the file, the line of the offending key in *that*
portal's table, the key and what is wrong. The file must be UTF-8 (a byte-order mark is
accepted).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from nianbao.crawler.portal import Portal

from .errors import ConfigError

_HOST = re.compile(r"^(?:[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_-]{1,63})*\.?"
                   r"|\[[0-9a-f:.]+\])(?::(?P<port>\d{1,5}))?$", re.I)


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{url!r} is not an http(s) URL")
    if not parts.hostname or any(c.isspace() for c in url):
        raise ValueError(f"{url!r} has no valid host")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r} has a bad port (1-65535)") from None
    if port == 0:
        raise ValueError(f"{url!r} has a bad port (1-65535)")
    return url


def _check_host(host: str) -> str:
    match = _HOST.match(host)
    if match is None:
        raise ValueError(f"{host!r} is not a host or host:port (no scheme, no path)")
    if match["port"] is not None and not 1 <= int(match["port"]) <= 65535:
        raise ValueError(f"{host!r} has a bad port (1-65535)")
    return host


Url = Annotated[str, AfterValidator(_check_url)]
Host = Annotated[str, AfterValidator(_check_host)]
Positive = Annotated[float, Field(gt=0)]


class PortalTable(BaseModel):
    """One ``[[portal]]`` table as written (docs/interfaces.md)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: Annotated[str, Field(min_length=1)]
    start_urls: Annotated[list[Url], Field(min_length=1)]
    allowed_hosts: Annotated[list[Host], Field(min_length=1)]
    agency: str | None = None
    render: Literal["auto", "always", "never"] = "auto"
    max_pages: Annotated[int, Field(ge=1)] = 2000
    requests_per_second: Positive = 1.0
    schedule: str | None = None  # crontab line for `nianbao schedule` (scheduler.jobs)
    # crawler options (Portal.options): robots.txt override (logged), link-depth bound,
    # seconds a request may take (Scrapy's DOWNLOAD_TIMEOUT, 60, otherwise), the largest
    # body in MB, on the wire and decompressed (crawler.settings.DOWNLOAD_MAXSIZE otherwise)
    obey_robots: bool = True
    max_depth: Annotated[int, Field(ge=0)] = 30
    timeout: Positive = 60.0
    max_download_mb: Positive = 128.0
    # navigation pages a crawl may spend on the way to the reports (docs/discovery.md)
    hub_budget: Annotated[int, Field(ge=0)] = 40


_OPTIONS = ("obey_robots", "max_depth", "timeout", "schedule", "max_download_mb", "hub_budget")


def load_config(path: Path | str) -> list[Portal]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark (Windows editors) is fine
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                          f"save the file as UTF-8") from None
    return parse_config(text, str(path))


def parse_config(text: str, source: str = "<config>") -> list[Portal]:
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = f"{source}:{line[1]}" if line else source
        raise ConfigError(f"{where}: invalid TOML: {exc}") from None
    for key in data:
        if key != "portal":
            raise ConfigError(f"{source}:{_line_in(text, key)}: unknown key '{key}'")
    tables = data.get("portal", [])
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{source}: no [[portal]] tables")
    sections = _sections(text, len(tables))
    portals, names = [], set()
    for index, table in enumerate(tables, 1):
        section = sections[index - 1]

        def fail(key: str, problem: str, value: object = None) -> ConfigError:
            line = _line_in(section.text, key, value) + section.first_line - 1  # noqa: B023
            return ConfigError(f"{source}:{line}: {problem} in portal #{index}")  # noqa: B023

        if not isinstance(table, dict):
            raise ConfigError(f"{source}: portal #{index} is not a table")
        try:
            checked = PortalTable.model_validate(table)
        except ValidationError as exc:
            raise _first_error(exc, table, fail) from None
        if checked.name in names:
            raise fail("name", f"duplicate portal name '{checked.name}'")
        names.add(checked.name)
        if checked.schedule is not None and (problem := _check_schedule(checked.schedule)):
            raise fail("schedule", f"bad schedule '{checked.schedule}': {problem}")
        portal = Portal(
            name=checked.name, start_urls=tuple(checked.start_urls),
            allowed_hosts=tuple(checked.allowed_hosts), agency=checked.agency,
            render=checked.render, max_pages=checked.max_pages,
            requests_per_second=float(checked.requests_per_second),
            # only what the file says: the crawler and the scheduler have the defaults
            options={k: table[k] for k in _OPTIONS if k in table},
        )
        for url in portal.start_urls:
            if not portal.allows(url):
                raise fail("start_urls", f"start URL {url} is not on its allowed_hosts", url)
        portals.append(portal)
    return portals


def _first_error(exc: ValidationError, table: dict, fail) -> ConfigError:
    error = exc.errors()[0]
    loc = error["loc"]
    key = str(loc[0]) if loc else "?"
    kind = error["type"]
    if kind == "extra_forbidden":
        return fail(key, f"unknown key '{key}'")
    if kind == "missing":
        return fail("[[portal]]", f"missing '{key}'")
    value = table.get(key)
    item = value[loc[1]] if len(loc) > 1 and isinstance(value, list) else None
    where = f"'{key}'" + (f" item {loc[1] + 1}" if len(loc) > 1 else "")
    if kind.endswith("_type") or kind in ("bool_parsing", "int_from_float"):
        return fail(key, f"{where} has the wrong type: {error['msg'].lower()}, not "
                         f"{type(item if len(loc) > 1 else value).__name__}")
    if kind == "literal_error" and key == "render":
        return fail(key, f"render must be auto, always or never, not '{value}'")
    if kind == "too_short" and isinstance(value, list):
        return fail(key, f"{where} is empty")
    if key in ("timeout", "max_pages", "requests_per_second", "max_download_mb",
               "max_depth", "name"):
        return fail(key, f"{key} must be positive" if kind in ("greater_than",
                                                                "greater_than_equal")
                    else f"{where}: {error['msg'].lower()}")
    message = str(error.get("ctx", {}).get("error") or error["msg"])
    return fail(key, f"{where}: {message}", item)


class _Section:
    def __init__(self, text: str, first_line: int) -> None:
        self.text, self.first_line = text, first_line


def _sections(text: str, count: int) -> list[_Section]:
    """Each ``[[portal]]`` table's own text, so a key's line is found in the right portal
    (the whole file for each, when the tables are not written as ``[[portal]]``)."""
    starts = [m.start() for m in re.finditer(r"^\s*\[\[\s*portal\s*\]\]", text, re.M)]
    if len(starts) != count:
        return [_Section(text, 1)] * count
    ends = [*starts[1:], len(text)]
    return [_Section(text[a:b], text.count("\n", 0, a) + 1)
            for a, b in zip(starts, ends, strict=True)]


def _line_in(text: str, key: str, value: object = None) -> int:
    """The line of ``key = ...`` in ``text`` (of the value itself, for an item of a
    multi-line array); 1 when not found."""
    if key == "[[portal]]":
        match = re.search(r"^\s*\[\[\s*portal\s*\]\]", text, re.M)
    else:
        match = re.search(rf"^\s*\[*\s*{re.escape(key)}\s*[\]=]", text, re.M)
    if match is None:
        return 1
    start = match.start() + (len(match[0]) - len(match[0].lstrip()))
    if isinstance(value, str):
        found = text.find(value, start)
        if found != -1:
            start = found
    return text.count("\n", 0, start) + 1


def _check_schedule(expr: str) -> str | None:
    # APScheduler loads only for a portal that has a schedule
    from nianbao.scheduler.jobs import check_schedule

    return check_schedule(expr)
