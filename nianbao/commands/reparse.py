"""`nianbao reparse`: every archived document parsed again from the WARC files alone.

The documents are the records the crawl handed to the parser; the crawl wrote a
``metadata`` record for each (portal, link text, agency hint, content type: what the
parser was given besides the bytes), so a reparse gives the parser exactly what the crawl
did, with no network. Fetch rows missing from the database (a new database, or a crash
between the WARC write and the row) are made from the records. A report parsed by the
same parser version from the same fetch is replaced; another version is added beside it,
so earlier versions stay queryable and `nianbao export` shows the newest.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import delete, select

import parsers
from archive import load_payload
from archive.reader import _iter_with_offsets, full_index, warc_files
from archive.resources import archived_bodies
from archive.writer import METADATA_URI_PREFIX
from store import Store, models

from .common import add_data_options, db_url


@dataclass
class Document:
    url: str
    record_id: str
    warc_file: str
    offset: int
    length: int | None
    record_type: str
    status: int | None
    content_type: str | None
    payload_digest: str | None
    refers_to: str | None
    warc_date: str
    meta: dict


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("reparse", help="parse every archived document again from "
                                                 "the WARC files (no network)")
    add_data_options(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def archived_documents(warc_dir: Path) -> list[Document]:
    """Every document record the crawl parsed, oldest first, with what the crawl knew."""
    records: dict[str, Document] = {}
    meta: dict[str, dict] = {}
    order: list[str] = []
    for path in warc_files(warc_dir):
        name = path.name.removesuffix(".open")
        for record, offset in _iter_with_offsets(path):
            head = record.rec_headers
            if record.rec_type == "metadata":
                uri = head.get_header("WARC-Target-URI") or ""
                refers = head.get_header("WARC-Refers-To")
                if uri.startswith(METADATA_URI_PREFIX) and refers:
                    try:
                        meta[refers] = json.loads(record.raw_stream.read())
                    except ValueError:
                        continue
                    if refers not in order:
                        order.append(refers)
            elif record.rec_type in ("response", "revisit", "resource"):
                http = record.http_headers
                record_id = head.get_header("WARC-Record-ID")
                content_type = (record.content_type if record.rec_type == "resource"
                                else http.get_header("Content-Type") if http else None)
                records[record_id] = Document(
                    head.get_header("WARC-Target-URI"), record_id, name, offset,
                    record.warc_length,
                    record.rec_type,
                    int(http.get_statuscode()) if http and record.rec_type != "resource"
                    else None, content_type, head.get_header("WARC-Payload-Digest"),
                    head.get_header("WARC-Refers-To"), head.get_header("WARC-Date"), {})
    out = []
    for record_id in order:
        if record_id in records:
            document = records[record_id]
            document.meta = meta[record_id]
            out.append(document)
    return out


def run(args: argparse.Namespace) -> int:
    warc_dir = Path(args.data_dir) / "warc"
    if not warc_dir.is_dir():
        print(f"nianbao: no WARC directory at {warc_dir}", file=sys.stderr)
        return 1
    console = Console(stderr=True)
    with Store(db_url(args)) as store:
        summary = reparse(warc_dir, store, progress=not args.no_progress and
                          sys.stderr.isatty(), console=console)
    Console().print(f"reparse with parser {parsers.PARSER_VERSION}: "
                    f"{summary['documents']} documents, {summary['reports']} reports "
                    f"({summary['replaced']} replaced, {summary['added']} added), "
                    f"{summary['not_reports']} not reports, {summary['errors']} errors")
    return 0


def reparse(warc_dir: Path, store: Store, *, progress: bool = False,
            console: Console | None = None) -> Counter:
    counts: Counter = Counter(documents=0, reports=0, replaced=0, added=0, not_reports=0,
                              errors=0)
    run_id = store.start_run("reparse")
    index = full_index(warc_dir)
    documents = archived_documents(warc_dir)
    version = parsers.PARSER_VERSION
    bar = Progress(TextColumn("reparse"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[reports]} reports, {task.fields[errors]} errors"),
                   TimeElapsedColumn(), console=console, disable=not progress)
    with bar:
        task = bar.add_task("reparse", total=len(documents), reports=0, errors=0)
        for document in documents:
            counts["documents"] += 1
            _reparse_one(store, warc_dir, index, document, version, run_id, counts)
            bar.update(task, advance=1, reports=counts["reports"], errors=counts["errors"])
    store.finish_run(run_id, "completed", documents=counts["documents"],
                     reports=counts["reports"], errors=counts["errors"])
    return counts


def _reparse_one(store: Store, warc_dir: Path, index, document: Document, version: str,
                 run_id: int, counts: Counter) -> None:
    meta = document.meta
    try:
        stored = load_payload(warc_dir, document.warc_file, document.offset, index)
        hints = parsers.Hints(agency=meta.get("agency_hint"), title=meta.get("link_text"))
        report = parsers.parse_document(stored.decoded,
                                        content_type=meta.get("content_type")
                                        or document.content_type,
                                        name=document.url, hints=hints,
                                        images=archived_bodies(warc_dir, index))
    except Exception as exc:  # noqa: BLE001 - a document that fails is recorded, never fatal
        store.add_error(run_id, document.url, "parse", f"{type(exc).__name__}: {exc}")
        counts["errors"] += 1
        return
    if not report.is_report:
        counts["not_reports"] += 1
        return
    fetch = store.fetch_for_record(document.record_id) or _fetch_from_record(store, document)
    existing = store.session.scalar(select(models.Report.id).where(
        models.Report.fetch_id == fetch.id, models.Report.parser_version == version))
    if existing is not None:
        store.session.execute(delete(models.Report).where(models.Report.id == existing))
        store.session.commit()
        counts["replaced"] += 1
    else:
        counts["added"] += 1
    store.add_report(report, url=document.url, fetch_id=fetch.id,
                     portal_id=_portal_id(store, meta.get("portal")), parser_version=version)
    counts["reports"] += 1


def _fetch_from_record(store: Store, document: Document) -> models.Fetch:
    fetch_id = store.add_fetch(
        crawl_run_id=None, portal_id=_portal_id(store, document.meta.get("portal")),
        url=document.url, method="GET", status=document.status,
        content_type=document.content_type, payload_digest=document.payload_digest,
        warc_file=document.warc_file, warc_offset=document.offset, warc_length=document.length,
        warc_record_id=document.record_id, record_type=document.record_type,
        refers_to_record_id=document.refers_to,
        fetched_at=datetime.strptime(document.warc_date[:19], "%Y-%m-%dT%H:%M:%S"))
    return store.session.get(models.Fetch, fetch_id)


def _portal_id(store: Store, name: str | None) -> int | None:
    if not name:
        return None
    portal = store.session.scalar(select(models.Portal).where(models.Portal.name == name))
    if portal is None:
        portal = models.Portal(name=name, start_urls=[], allowed_hosts=[])
        store.session.add(portal)
        store.session.commit()
    return portal.id
