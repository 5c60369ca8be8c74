"""`nianbao export --format parquet`: the wide CSV's rows as a typed Parquet table (pyarrow,
an optional extra: ``pip install 'nianbao[parquet]'``), written a batch of rows at a time."""

from __future__ import annotations

import argparse
import sys

from parsers.schema import load_schema

from .common import open_for_reading
from .export import columns, flat

BATCH = 1000
INTEGERS = ("year", "copies", "warc_offset")
BOOLEANS = ("copies_disagree", "chosen")


def run_parquet(args: argparse.Namespace) -> int:
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
    key_set = set(keys)
    # Fixed types, so a file's schema never depends on which reports it happens to hold:
    # year an integer, every canonical key a double (NULL where the cell is blank).
    fields = [pa.field(c, pa.float64() if c in key_set else pa.int64() if c in INTEGERS
                       else pa.bool_() if c in BOOLEANS else pa.string())
              for c in columns(args.all_copies)]
    schema = pa.schema(fields)
    with open_for_reading(args) as store, pq.ParquetWriter(args.out, schema) as writer:
        batch: list[dict] = []
        for row in store.reports(all_copies=args.all_copies):
            wide = flat(row, keys)
            for k in keys:
                if wide[k] is not None:
                    wide[k] = float(wide[k])
            batch.append(wide)
            if len(batch) >= BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    return 0
