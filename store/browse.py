"""The database `nianbao serve` shows first: the deduplicated views of the collected
database, materialised as plain tables, with a full-text index.

Why a copy: Datasette counts and facets every table on each request, over views that
join and compute rates for every report, while a plain table with its indexes answers in
milliseconds. The reports come from ``report_current`` (what ingest keeps), their rates
and cells from the views over it. The copy is written to a temporary file and renamed,
so a running server never sees half of it (when to rebuild it is the caller's:
``nianbao.browse``). It holds:

- ``reports``: one row per report (``report_current``), its rates (``report_rates``) and
  each table row's 总计; ``report_cells``: a column per canonical key (``report_wide``);
- ``regions`` and ``agencies``: what was collected where and from whom;
- ``refusal_reasons``, ``agency_yoy``, ``report_completeness``, ``check_failure``: what the
  canned questions read;
- ``report_search``: FTS5 over each report's title, agency and text, the text and its
  splitting into words given by the caller (it reads the archive).

SQLite only, as Datasette is; the collected database is attached read-only. Written with
the standard library's sqlite3: SQLAlchemy has no ATTACH or FTS5 to offer here.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

COPIED_VIEWS = ("refusal_reasons", "agency_yoy", "report_completeness")


class Source(NamedTuple):
    """Where a report's document is archived (its fetch row; all None without one)."""

    warc_file: str | None
    warc_offset: int | None
    content_type: str | None
    url: str | None


def _columns(con: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [row[1] for row in con.execute(f"PRAGMA {schema}.table_info({_q(table)})")]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def build(db_path: Path, browse_path: Path, text_of: Callable[[Source], str],
          tokens: Callable[[str | None], str]) -> Path:
    """Write the browsing database for `db_path` to `browse_path`; returns it. Each report's
    searchable text is `text_of` its document, and every indexed text is split by `tokens`
    (FTS5 has no tokenizer for Chinese: the caller splits it into words)."""
    browse_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = browse_path.with_name(browse_path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.execute("ATTACH DATABASE ? AS src", (str(db_path),))
        # Each view once, into a table of its own with an index: joined as views, SQLite
        # would compute one for every row of the other.
        # The reports as ingest keeps them (report_current, without its key columns: those
        # come from report_wide) and the views over them.
        current = [c for c in _columns(con, "src", "report_current") if "." not in c]
        con.execute("CREATE TEMP TABLE _latest_report AS SELECT "
                    + ", ".join(_q(c) for c in current) + " FROM src.report_current")
        for view in ("report_rates", "report_wide"):
            con.execute(f"CREATE TEMP TABLE _{view} AS SELECT * FROM src.{view}")
        for table in ("latest_report", "report_rates", "report_wide"):
            con.execute(f"CREATE UNIQUE INDEX temp._{table}_id ON _{table} (report_id)")
        latest = _columns(con, "temp", "_latest_report")
        rates = [c for c in _columns(con, "temp", "_report_rates") if c not in latest]
        wide = [c for c in _columns(con, "temp", "_report_wide")
                if c not in latest and c not in rates]
        # `reports` has each table row's 总计 (the numbers a reader compares), `report_cells`
        # every cell: a page of 100 rows of 270 columns takes Datasette seconds to render.
        totals = [c for c in wide if c.endswith(".total")]
        cells = ["report_id", "agency", "year", "format", *wide]
        select_cells = ", ".join(f"w.{_q(c)}" for c in cells)
        wide = [c for c in wide if c in totals or "." not in c]
        select = ", ".join(["l.report_id"] + [f"l.{_q(c)}" for c in latest if c != "report_id"]
                           + [f"r.{_q(c)}" for c in rates] + [f"w.{_q(c)}" for c in wide])
        # report_id the primary key: Datasette links each row by it
        names = [c for c in [*latest, *rates, *wide] if c != "report_id"]
        con.execute("CREATE TABLE reports (report_id INTEGER PRIMARY KEY, "
                    + ", ".join(_q(c) for c in names) + ")")
        con.execute(f"INSERT INTO reports (report_id, {', '.join(_q(c) for c in names)}) "
                    f"SELECT {select} FROM _latest_report l "
                    "LEFT JOIN _report_rates r ON r.report_id = l.report_id "
                    "LEFT JOIN _report_wide w ON w.report_id = l.report_id "
                    "ORDER BY l.year, l.province, l.city, l.district, l.agency")
        con.execute("CREATE TABLE report_cells (report_id INTEGER PRIMARY KEY "
                    "REFERENCES reports (report_id), "
                    + ", ".join(_q(c) for c in cells[1:]) + ")")
        con.execute(f"INSERT INTO report_cells SELECT {select_cells} FROM _report_wide w "
                    "WHERE w.report_id IN (SELECT report_id FROM reports) ORDER BY w.report_id")
        for column in ("year", "province", "agency_type", "format", "agency"):
            con.execute(f"CREATE INDEX reports_{column} ON reports ({column})")
        con.execute(
            "CREATE TABLE regions AS SELECT province, city, district, division_code, "
            "COUNT(*) AS reports, COUNT(DISTINCT agency) AS agencies, MIN(year) AS first_year, "
            "MAX(year) AS last_year, SUM(received) AS received FROM reports "
            "GROUP BY province, city, district, division_code "
            "ORDER BY division_code, province, city, district")
        con.execute("CREATE TABLE agencies AS SELECT a.*, (SELECT COUNT(*) FROM reports r "
                    "WHERE r.agency = a.agency) AS reports FROM src.agency_coverage a "
                    "ORDER BY a.division_code, a.agency")
        for view in COPIED_VIEWS:
            con.execute(f"CREATE TABLE {view} AS SELECT * FROM src.{view}")
        con.execute("CREATE TABLE check_failure AS SELECT c.* FROM src.check_failure c "
                    "JOIN reports r ON r.report_id = c.report_id")
        con.execute("CREATE VIRTUAL TABLE report_search USING fts5(title, agency, text)")
        sources = con.execute(
            "SELECT r.report_id, r.title, r.agency, f.warc_file, f.warc_offset, f.content_type, "
            "r.url FROM reports r LEFT JOIN src.fetch f ON f.id = r.fetch_id").fetchall()
        for report_id, title, agency, *source in sources:
            text = text_of(Source(*source))
            con.execute("INSERT INTO report_search (rowid, title, agency, text) "
                        "VALUES (?, ?, ?, ?)",
                        (report_id, tokens(title), tokens(agency), tokens(text)))
        con.commit()
        con.execute("DETACH DATABASE src")
    finally:
        con.close()
    os.replace(tmp, browse_path)
    return browse_path
