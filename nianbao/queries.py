"""Questions asked of the collected database: filters, key patterns, group-by, aggregates.

Works on the ``latest_report`` view (the newest parse of each document, one copy of a report
published at several URLs) joined to
``report_value``, in SQL that SQLite and PostgreSQL both run; aggregation happens in the
database, so a national database is not read into memory.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from nianbao.parsers.schema import load_schema

GROUP_FIELDS = ("province", "city", "district", "division_code", "year", "agency", "agency_type")
AGGREGATES = ("sum", "avg", "count")
REPORT_COLUMNS = ("agency", "year", "province", "city", "district", "division_code", "format")


class QueryError(ValueError):
    """Bad usage: an unknown key, a malformed year range (exit status 2)."""


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
    known = list(load_schema().keys)
    out: list[str] = []
    for pattern in patterns:
        matched = [k for k in known if fnmatch.fnmatchcase(k, pattern)]
        if not matched:
            from .codebook import unknown_key_message

            raise QueryError(unknown_key_message(pattern))
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
    """SQL conditions on ``latest_report r`` and their parameters."""
    conditions, params = [], {}
    if query.year:
        params["year_first"], params["year_last"] = year_range(query.year)
        conditions.append("r.year BETWEEN :year_first AND :year_last")
    if query.region:
        region = query.region.strip()
        if region.isdigit():
            # A division-code prefix: 12 = 天津市, 1201 = its districts, 120110 = 东丽区.
            params["code"] = _like_escape(region) + "%"
            conditions.append("r.division_code LIKE :code ESCAPE '\\'")
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
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def run(connection: Connection, query: Query) -> tuple[list[str], list[dict]]:
    """(columns, rows) for a query: one row per report, or one per group."""
    keys = expand_keys(query.keys)
    for name in query.group_by:
        if name not in GROUP_FIELDS:
            raise QueryError(f"cannot group by {name!r}; choose from {', '.join(GROUP_FIELDS)}")
    if query.agg not in AGGREGATES:
        raise QueryError(f"--agg takes {', '.join(AGGREGATES)}, not {query.agg!r}")
    where, params = where_clause(query)
    key_params = {f"k{i}": k for i, k in enumerate(keys)}
    params.update(key_params)
    in_keys = ", ".join(f":{name}" for name in key_params)
    join = ("LEFT JOIN report_value v ON v.report_id = r.report_id "
            f"AND v.key IN ({in_keys})")
    if not query.group_by:
        columns = list(REPORT_COLUMNS)
        sql = (f"SELECT r.report_id, {', '.join('r.' + c for c in columns)}, v.key, v.value "
               f"FROM latest_report r {join}{where} ORDER BY r.report_id")
        rows: dict = {}
        for row in connection.execute(text(sql), params):
            out = rows.setdefault(row.report_id, {
                **{c: getattr(row, c) for c in columns}, **dict.fromkeys(keys)})
            if row.key is not None:
                out[row.key] = number(row.value)
        result = sorted(rows.values(), key=lambda r: (_sort(r["year"]), _sort(r["province"]),
                                                      _sort(r["city"]), _sort(r["district"]),
                                                      _sort(r["agency"])))
        return columns + keys, result
    groups = list(dict.fromkeys(query.group_by))
    select = ", ".join(f"r.{g}" for g in groups)
    aggregate = {"sum": "SUM(v.value)", "avg": "AVG(v.value)", "count": "COUNT(v.value)"}[query.agg]
    sql = (f"SELECT {select}, v.key, {aggregate} AS value FROM latest_report r {join}{where} "
           f"GROUP BY {select}, v.key")
    grouped: dict = {}
    for row in connection.execute(text(sql), params):
        ident = tuple(getattr(row, g) for g in groups)
        out = grouped.setdefault(ident, {**dict(zip(groups, ident, strict=True)),
                                         **dict.fromkeys(keys)})
        if row.key is not None:
            out[row.key] = number(row.value)
    result = [grouped[g] for g in sorted(grouped, key=lambda g: tuple(_sort(x) for x in g))]
    return groups + keys, result


def _sort(value):
    # None last; numbers and strings never compared with each other within a column.
    return (value is None, value if value is not None else 0)


def format_csv(columns: Sequence[str], rows: Sequence[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return out.getvalue()


def format_json(columns: Sequence[str], rows: Sequence[dict]) -> str:
    return json.dumps([{c: row.get(c) for c in columns} for row in rows], ensure_ascii=False,
                      indent=1) + "\n"


def print_table(columns: Sequence[str], rows: Sequence[dict], title: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        numeric = any(isinstance(r.get(column), int | float) and not isinstance(
            r.get(column), bool) for r in rows)
        # fold, never "…": a truncated agency name or key hides which one it is.
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*[_cell(row.get(c)) for c in columns])
    Console().print(table)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def write(fmt: str, columns: Sequence[str], rows: Sequence[dict], title: str | None = None) -> None:
    import sys

    if fmt == "csv":
        sys.stdout.write(format_csv(columns, rows))
    elif fmt == "json":
        sys.stdout.write(format_json(columns, rows))
    else:
        print_table(columns, rows, title)
