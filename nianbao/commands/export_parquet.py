"""`nianbao export --format parquet`: the wide CSV's rows as a typed Parquet table (pyarrow,
an optional extra: ``pip install 'nianbao[parquet]'``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from parsers.schema import load_schema
from store import Store, report_json

from .. import codebook
from ..typed_export import write_parquet
from .common import db_url


def run_parquet(args: argparse.Namespace, meta_columns: Sequence[str]) -> int:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        print("nianbao: error: --format parquet needs pyarrow: pip install 'nianbao[parquet]'",
              file=sys.stderr)
        return 2
    if not args.out:
        print("nianbao: error: --format parquet writes a file: give --out FILE",
              file=sys.stderr)
        return 2
    keys = list(load_schema().keys)
    columns = [*meta_columns, *keys, "checks_failed"]

    def rows():
        with Store(db_url(args)) as store:
            for row in (report_json(r) for r in store.newest_reports()):
                yield ([row.get(m) for m in meta_columns] + [row["values"].get(k) for k in keys]
                       + [";".join(c["key"] for c in row["checks_failed"])])

    # types by column name (nianbao/typed_export.py), written batch by batch
    write_parquet(args.out, columns, rows())
    codebook.write_beside(args.out)
    return 0
