"""Questions asked of the collected database: filters, key patterns, group-by, aggregates.

The SQL of ``nianbao query``, ``nianbao plot`` and serve's charts. Works on
``report_current`` (store/current.py: one typed row per report, at the copy and version
``latest_report`` picks, a column per key), in SQL that SQLite and PostgreSQL both run;
filters use its indexes, aggregation and sorting happen in the database, and rows are
streamed, so a national database is not read into memory.

A question that groups only by year, province or agency type, and filters only by year
or format, is answered from ``report_totals`` (per-group sums the database keeps,
store/models.py) instead: a few thousand rows whatever the number of reports. Sums of
whole numbers come out the same either way; a sum of decimals may differ in its last
binary digit, as two orders of adding floating-point numbers do.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # SQLAlchemy and the schema load when a question is asked, not at start
    from sqlalchemy import Connection

GROUP_FIELDS = ("province", "city", "district", "division_code", "year", "agency", "agency_type")
TOTALS_GROUPS = ("year", "province", "agency_type")  # what report_totals is grouped by
AGGREGATES = ("sum", "avg", "count")
REPORT_COLUMNS = ("agency", "year", "province", "city", "district", "division_code", "format")


class QueryError(ValueError):
    """Bad usage: an unknown key, a malformed year range (exit status 2)."""


class UnknownKey(QueryError):
    """A key or pattern that matches no canonical key (the caller may suggest some)."""

    def __init__(self, pattern: str) -> None:
        super().__init__(f"no canonical key matches {pattern!r}")
        self.pattern = pattern


@dataclass
class Query:
    keys: Sequence[str]
    year: str | None = None
    region: str | None = None
    agency: str | None = None
    report_format: str | None = None
    group_by: Sequence[str] = field(default_factory=list)
    agg: str = "sum"


def expand_keys(patterns: Sequence[str]) -> list[str]:
    """Canonical keys matching each pattern (`*` matches any run of characters), in the
    order given, each key once; a pattern that matches nothing is an error."""
    from nianbao.parsers.schema import load_schema

    known = list(load_schema().keys)
    out: list[str] = []
    for pattern in patterns:
        matched = [k for k in known if fnmatch.fnmatchcase(k, pattern)]
        if not matched:
            raise UnknownKey(pattern)
        out.extend(k for k in matched if k not in out)
    return out


def year_range(spec: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{4})\s*(?:[-–:]\s*(\d{4})\s*)?", spec)
    if not match:
        raise QueryError(f"--year takes a year or a range like 2019-2023, not {spec!r}")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if last < first:
        raise QueryError(f"--year range {spec!r} ends before it starts")
    return first, last


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def where_clause(query: Query) -> tuple[str, dict]:
    """SQL conditions on ``report_current r`` (or ``latest_report r``) and their parameters."""
    conditions, params = [], {}
    if query.year:
        params["year_first"], params["year_last"] = year_range(query.year)
        conditions.append("r.year BETWEEN :year_first AND :year_last")
    if query.region:
        region = query.region.strip()
        if region.isdigit():
            # A division-code prefix: 12 = 天津市, 1201 = its districts, 120110 = 东丽区;
            # as a range of digit strings, which the division_code index answers on both
            # engines (a LIKE prefix needs a special index or collation for that)
            params["code_first"] = region
            conditions.append("r.division_code >= :code_first")
            if int(region) + 1 < 10 ** len(region):
                params["code_next"] = str(int(region) + 1).zfill(len(region))
                conditions.append("r.division_code < :code_next")
        else:
            # A name or the start of one: 天津 matches 天津市, 西青 matches 西青区.
            params["region"] = _like_escape(region) + "%"
            conditions.append("(r.province LIKE :region ESCAPE '\\' OR r.city LIKE :region "
                              "ESCAPE '\\' OR r.district LIKE :region ESCAPE '\\')")
    if query.agency:
        params["agency_type"] = query.agency.strip()
        params["agency"] = "%" + _like_escape(query.agency.strip()) + "%"
        conditions.append("(r.agency_type = :agency_type OR r.agency LIKE :agency ESCAPE '\\')")
    if query.report_format:
        params["report_format"] = query.report_format
        conditions.append("r.format = :report_format")
    return (" WHERE " + " AND ".join(conditions)) if conditions else "", params


def number(value):
    """A count stored as floating point comes back as the integer it is (3, not 3.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def answered_by_totals(query: Query) -> bool:
    """Whether ``report_totals`` holds the answer: grouped by its dimensions only, and
    filtered by nothing finer (a region or agency filter needs each report's row)."""
    return (bool(query.group_by) and set(query.group_by) <= set(TOTALS_GROUPS)
            and not query.region and not query.agency)


def run(connection: Connection, query: Query, *, totals: bool = True
        ) -> tuple[list[str], list[dict]]:
    """(columns, rows) for a query: one row per report, or one per group."""
    columns, rows = stream(connection, query, totals=totals)
    return columns, list(rows)


def stream(connection: Connection, query: Query, *, totals: bool = True
           ) -> tuple[list[str], Iterator[dict]]:
    """``run`` with the rows streamed from the database as it sends them, in their order
    (sorted by the database: None last, text by code point), never held all at once.
    ``totals=False`` reads every report's row even where ``report_totals`` would do (the
    two must agree: tests, bench/scale.py)."""
    from sqlalchemy import text

    from .views import q

    keys = expand_keys(query.keys)
    for name in query.group_by:
        if name not in GROUP_FIELDS:
            raise QueryError(f"cannot group by {name!r}; choose from {', '.join(GROUP_FIELDS)}")
    if query.agg not in AGGREGATES:
        raise QueryError(f"--agg takes {', '.join(AGGREGATES)}, not {query.agg!r}")
    where, params = where_clause(query)
    # code-point order on PostgreSQL too, whatever the database's collation
    collate = ' COLLATE "C"' if connection.dialect.name == "postgresql" else ""

    def order(column: str) -> str:
        text_column = column not in ("r.year",)
        return f"{column} IS NULL, {column}{collate if text_column else ''}"

    names = [f"c{i}" for i in range(len(keys))]
    if not query.group_by:
        columns = list(REPORT_COLUMNS)
        sql = (f"SELECT {', '.join('r.' + c for c in columns)}"
               + "".join(f", r.{q(k)} AS {n}" for k, n in zip(keys, names, strict=True))
               + f" FROM report_current r{where} ORDER BY "
               + ", ".join(order(f"r.{c}") for c in ("year", "province", "city", "district",
                                                      "agency")) + ", r.report_id")
        out_columns = columns + keys
    else:
        groups = list(dict.fromkeys(query.group_by))
        if totals and answered_by_totals(query):
            # a group's sum is NULL when none of its reports has a value, as SUM's is;
            # groups whose reports have all moved elsewhere stay, at zero, and are left out
            template = {"sum": "CASE WHEN SUM(r.{n}) > 0 THEN SUM(r.{s}) END",
                        "avg": "CASE WHEN SUM(r.{n}) > 0 THEN SUM(r.{s}) / SUM(r.{n}) END",
                        "count": "SUM(r.{n})"}[query.agg]
            selected = [template.format(s=q("sum." + k), n=q("n." + k)) for k in keys]
            source, having = "report_totals", " HAVING SUM(r.reports) > 0"
        else:
            aggregate = {"sum": "SUM", "avg": "AVG", "count": "COUNT"}[query.agg]
            selected = [f"{aggregate}(r.{q(k)})" for k in keys]
            source, having = "report_current", ""
        sql = (f"SELECT {', '.join(f'r.{g}' for g in groups)}"
               + "".join(f", {s} AS {n}" for s, n in zip(selected, names, strict=True))
               + f" FROM {source} r{where} GROUP BY {', '.join(f'r.{g}' for g in groups)}"
               + having + " ORDER BY " + ", ".join(order(f"r.{g}") for g in groups))
        columns = groups
        out_columns = groups + keys
    result = connection.execution_options(stream_results=True, yield_per=500).execute(
        text(sql), params)

    def rows() -> Iterator[dict]:
        with result:
            for row in result:
                values = tuple(row)
                out = dict(zip(columns, values[:len(columns)], strict=True))
                out.update((k, number(v)) for k, v in zip(keys, values[len(columns):],
                                                           strict=True))
                yield out

    return out_columns, rows()
