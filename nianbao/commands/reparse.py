"""`nianbao reparse`: every archived document read again from the WARC files alone.

Every document of the archive (archive.documents) goes through the one ingest path
(ingest.Ingest): a payload this parser version has read already is left as it is, anything
else is parsed, on every core, and stored as a new version beside the earlier ones. Nothing
is deleted, so it works on any database nianbao wrote and whatever its history (crawls,
revisions, removals, earlier reparses); run twice it does what it did once; each batch is
one transaction, so a reparse killed midway goes on where it stopped when run again.
Fetch rows missing from the database (a new database) are made from the records.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from nianbao.store import Store

from .common import add_data_options, open_for_writing

BATCH = 256  # documents a transaction


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("reparse", help="parse every archived document again from "
                                                 "the WARC files (no network)")
    add_data_options(parser)
    parser.add_argument("--processes", type=int, default=0,
                        help="parser processes (default: one per core; 1: no pool)")
    parser.add_argument("--batch", type=int, default=BATCH,
                        help="documents a transaction (default %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from nianbao import parsers

    warc_dir = Path(args.data_dir) / "warc"
    if not warc_dir.is_dir():
        print(f"nianbao: error: no WARC directory at {warc_dir}", file=sys.stderr)
        return 2
    console = Console(stderr=True)
    with open_for_writing(args) as store:
        summary = reparse(warc_dir, store, processes=args.processes, batch=args.batch,
                          progress=not args.no_progress and sys.stderr.isatty(),
                          console=console)
    Console().print(f"reparse with parser {parsers.PARSER_VERSION}: "
                    f"{summary['documents']} documents: {summary['report']} new versions, "
                    f"{summary['seen']} already read by this version, "
                    f"{summary['not-report']} not reports, {summary['error']} errors")
    return 0


def start_pool(processes: int):
    """The parser processes (None for one): spawned, a clean interpreter each, whatever
    threads this process has."""
    from nianbao.ingest import warm_up

    processes = processes or os.cpu_count() or 1
    if processes <= 1:
        return None
    return multiprocessing.get_context("spawn").Pool(processes, initializer=warm_up)


def reparse(warc_dir: Path, store: Store, *, processes: int = 0, progress: bool = False,
            console: Console | None = None, batch: int = BATCH, pool=None) -> Counter:
    """Every document of the archive through ingest; ``pool`` (start_pool) is used and
    left running when given, else one is started and stopped here."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from nianbao.archive.documents import documents
    from nianbao.archive.reader import full_index, warc_files
    from nianbao.archive.resources import ArchivedBodies
    from nianbao.ingest import Ingest

    run_id = store.start_run("reparse")
    files = warc_files(warc_dir)
    # a report page whose tables are pictures gets them from the archive, never the network
    ingest = Ingest(store, run_id=run_id, images=ArchivedBodies(warc_dir))
    bar = Progress(TextColumn("reparse"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[versions]} new versions, "
                              "{task.fields[errors]} errors"),
                   TimeElapsedColumn(), console=console, disable=not progress)
    own_pool = pool is None
    if own_pool:
        pool = start_pool(processes)
    try:
        with bar:
            task = bar.add_task("reparse", total=None, versions=0, errors=0)

            def advance(n: int) -> None:
                bar.update(task, advance=n, versions=ingest.counts["report"],
                           errors=ingest.counts["error"])

            counts = ingest.run(documents(files, warc_dir, full_index(warc_dir)), pool=pool,
                                batch=batch, progress=advance)
    finally:
        if own_pool and pool is not None:
            pool.close()
            pool.join()
    counts["documents"] = sum(counts[k] for k in ("report", "seen", "not-report", "error"))
    store.finish_run(run_id, "completed", documents=counts["documents"],
                     reports=counts["report"], errors=counts["error"])
    return counts
