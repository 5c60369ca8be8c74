"""`nianbao export --format parquet`: the wide CSV's rows as a typed Parquet table (pyarrow,
an optional extra: ``pip install 'nianbao[parquet]'``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from parsers.schema import load_schema
from store import Store, report_json

from .common import db_url


def run_parquet(args: argparse.Namespace, meta_columns: Sequence[str]) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        print("nianbao: error: --format parquet needs pyarrow: pip install 'nianbao[parquet]'",
              file=sys.stderr)
        return 2
    if not args.out:
        print("nianbao: error: --format parquet writes a file: give --out FILE",
              file=sys.stderr)
        return 2
    keys = list(load_schema().keys)
    # Fixed types, so a file's schema never depends on which reports it happens to hold:
    # year an integer, every canonical key a double (NULL where the cell is blank).
    fields = [pa.field(m, pa.int64() if m == "year" else pa.string()) for m in meta_columns]
    fields += [pa.field(k, pa.float64()) for k in keys]
    fields.append(pa.field("checks_failed", pa.string()))
    schema = pa.schema(fields)
    columns: dict[str, list] = {f.name: [] for f in fields}
    with Store(db_url(args)) as store:
        for row in (report_json(r) for r in store.newest_reports()):
            for m in meta_columns:
                columns[m].append(row.get(m))
            for k in keys:
                value = row["values"].get(k)
                columns[k].append(None if value is None else float(value))
            columns["checks_failed"].append(";".join(c["key"] for c in row["checks_failed"]))
    pq.write_table(pa.table(columns, schema=schema), args.out)
    return 0
