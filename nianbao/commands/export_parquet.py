"""`nianbao export --format parquet`: the wide CSV's rows as a typed Parquet table (pyarrow,
an optional extra: ``pip install 'nianbao[parquet]'``), written a batch of rows at a time."""

from __future__ import annotations

import argparse
import sys

from nianbao.parsers.schema import load_schema

from .. import codebook
from ..typed_export import write_parquet
from .common import open_for_reading
from .export import columns, flat


def run_parquet(args: argparse.Namespace) -> int:
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
    names = columns(args.all_copies)

    def rows():
        with open_for_reading(args) as store:
            for row in store.reports(all_copies=args.all_copies):
                wide = flat(row, keys)
                yield [wide.get(c) for c in names]

    # types by column name (nianbao/typed_export.py), written batch by batch
    write_parquet(args.out, names, rows())
    codebook.write_beside(args.out)
    return 0
