"""Typed columns for exports that carry types (Parquet), and the extras every export ships
with: the codebook beside it, a BOM for spreadsheet programs.

A column's type comes from its name, never from the rows a file happens to hold, so every
export has the same schema: canonical keys that count things are nullable 64-bit integers,
amounts (万元, 采购总金额) are doubles, dates are dates, times are UTC timestamps; other
metadata is text. Parquet is written in row groups as the rows stream in (pyarrow's
ParquetWriter), so memory stays flat however many reports there are.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import codebook

BATCH_ROWS = 1024

# Metadata columns with a type other than text (any export may add more columns: text).
META_TYPES = {
    "year": "int", "published": "date", "fetched_at": "timestamp", "warc_offset": "int",
    "warc_length": "int", "copies": "int", "report_id": "int", "checks_failed_count": "int",
    "crawl_run_id": "int", "copies_disagree": "bool", "chosen": "bool",
}


def key_kind(key: str) -> str:
    """'count' or 'amount' for a canonical key."""
    entry = codebook.by_key()[key]
    if entry.unit or key.rsplit(".", 1)[-1] == "amount":
        return "amount"
    return "count"


def column_kind(column: str) -> str:
    if column in codebook.by_key():
        return "int" if key_kind(column) == "count" else "float"
    return META_TYPES.get(column, "string")


def arrow_type(kind: str):
    import pyarrow as pa

    return {"int": pa.int64(), "float": pa.float64(), "date": pa.date32(),
            "timestamp": pa.timestamp("s", tz="UTC"), "bool": pa.bool_(),
            "string": pa.string()}[kind]


class _Converter:
    """Values as the rows hold them (numbers, ISO strings) into the column's type."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.kinds = [column_kind(c) for c in columns]
        self.columns = list(columns)
        self.warned: set[str] = set()

    def __call__(self, index: int, value: Any) -> Any:
        kind = self.kinds[index]
        if value is None or (value == "" and kind != "string"):
            return None  # an empty text stays the empty text it is
        if kind == "int":
            number = float(value)
            if not number.is_integer():
                # printed with decimals under a count: the integer column cannot hold it,
                # and rounding would change a value; JSON lines and CSV keep it
                column = self.columns[index]
                if column not in self.warned:
                    self.warned.add(column)
                    print(f"nianbao: warning: {column}: {value} is not a whole number; left "
                          "empty in Parquet (kept in JSON lines and CSV)", file=sys.stderr)
                return None
            return int(number)
        if kind == "float":
            return float(value)
        if kind == "bool":
            return bool(value)
        if kind == "date":
            return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        if kind == "timestamp":
            if isinstance(value, datetime):
                return value
            return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return value if isinstance(value, str) else str(value)


def write_parquet(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                  batch_rows: int = BATCH_ROWS) -> int:
    """Write rows (sequences in the order of `columns`) as Parquet, batch by batch; the
    number of rows written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([pa.field(c, arrow_type(column_kind(c))) for c in columns],
                       metadata={"nianbao.codebook": "codebook.csv beside this file"})
    convert = _Converter(columns)
    count = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        batch: list[list] = [[] for _ in columns]
        for row in rows:
            for i, value in enumerate(row):
                batch[i].append(convert(i, value))
            count += 1
            if len(batch[0]) >= batch_rows:
                writer.write_batch(pa.record_batch(batch, schema=schema))
                batch = [[] for _ in columns]
        if batch[0] or count == 0:
            writer.write_batch(pa.record_batch(batch, schema=schema))
    return count


BOM = "\ufeff"


def spreadsheet_encoding(excel: bool) -> str:
    """UTF-8 with a BOM for Excel and WPS on Chinese Windows, which otherwise read a CSV
    file as GBK; plain UTF-8 for everything else."""
    return "utf-8-sig" if excel else "utf-8"
