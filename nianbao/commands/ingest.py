"""`nianbao ingest PATH...`: local files and folders into the archive and the database.

Each file is archived first, as a WARC ``resource`` record with its path and modification
time (ingest.local), then goes the way every crawled document goes (ingest.Ingest): parsed,
stored as a version when it is a report, with a ``metadata`` record of the outcome in the
archive and an error row for a file that cannot be read.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nianbao.archive.documents import Document

from .common import add_data_options, open_for_writing


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "ingest", help="archive and parse local files and folders (PDF, Word, HTML, text)")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                        help="a file, or a folder (read recursively)")
    add_data_options(parser)
    parser.add_argument("--processes", type=int, default=0,
                        help="parser processes (default: one per core; 1: no pool)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from nianbao import parsers
    from nianbao.archive import ArchiveIndex
    from nianbao.archive.writer import WarcFileWriter
    from nianbao.ingest import Ingest
    from nianbao.ingest.local import archive_file, files

    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        print(f"nianbao: error: no such file or folder: {', '.join(missing)}",
              file=sys.stderr)
        return 2
    warc_dir = Path(args.data_dir) / "warc"
    warc_dir.mkdir(parents=True, exist_ok=True)
    processes = args.processes or os.cpu_count() or 1
    with open_for_writing(args) as store:
        run_id = store.start_run("ingest")
        index = ArchiveIndex(warc_dir)
        writer = WarcFileWriter(warc_dir, prefix="nianbao-ingest", index=index)

        def metadata(doc: Document, fields: dict) -> None:
            writer.write_metadata(doc.url, doc.record_id,
                                  {**fields, **doc.extra, "content_type": doc.content_type})

        ingest = Ingest(store, run_id=run_id, metadata=metadata)
        unreadable = 0

        def documents() -> Iterator[Document]:
            nonlocal unreadable
            for path in files(args.paths):
                try:
                    yield archive_file(writer, path)
                except OSError as exc:
                    unreadable += 1
                    store.add_error(run_id, path.resolve().as_uri(), "archive",
                                    f"cannot read {path}: {exc.strerror or exc}")

        pool = multiprocessing.get_context("spawn").Pool(processes) if processes > 1 else None
        try:
            counts = ingest.run(documents(), pool=pool)
        finally:
            if pool is not None:
                pool.close()
                pool.join()
            writer.close()
            index.close()
        total = sum(counts.values()) + unreadable
        store.finish_run(run_id, "completed", documents=total, reports=counts["report"],
                         errors=counts["error"] + unreadable)
    Console().print(f"ingest with parser {parsers.PARSER_VERSION}: {total} "
                    f"file{'' if total == 1 else 's'}: "
                    f"{counts['report']} reports, {counts['seen']} already stored, "
                    f"{counts['not-report']} not reports, "
                    f"{counts['error'] + unreadable} errors")
    return 0
