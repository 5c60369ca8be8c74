"""Rows written out: CSV and JSON as they come (nothing held), or a terminal table."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence


def csv_lines(columns: Sequence[str], rows: Iterable[dict]) -> Iterator[str]:
    """CSV text, a line at a time, as the rows come."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    yield out.getvalue()
    for row in rows:
        out.seek(0)
        out.truncate()
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
        yield out.getvalue()


def json_lines(columns: Sequence[str], rows: Iterable[dict]) -> Iterator[str]:
    """The JSON array ``json.dumps(rows, indent=1)`` writes, a row at a time."""
    first = True
    for row in rows:
        item = json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False, indent=1)
        yield ("[\n" if first else ",\n") + "\n".join(" " + line for line in item.split("\n"))
        first = False
    yield "[]\n" if first else "\n]\n"


def format_csv(columns: Sequence[str], rows: Iterable[dict]) -> str:
    return "".join(csv_lines(columns, rows))


def format_json(columns: Sequence[str], rows: Iterable[dict]) -> str:
    return "".join(json_lines(columns, rows))


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


def write(fmt: str, columns: Sequence[str], rows: Iterable[dict],
          title: str | None = None) -> None:
    """Rows to stdout: CSV and JSON as they come (nothing held), a table once all are in
    (it sizes its columns to them; ``title`` may then use ``{count}``)."""
    import sys

    if fmt in ("csv", "json"):
        for chunk in (csv_lines if fmt == "csv" else json_lines)(columns, rows):
            sys.stdout.write(chunk)
        return
    rows = list(rows)
    print_table(columns, rows, title.format(count=len(rows)) if title else title)
