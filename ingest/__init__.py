"""One path from the archive to the database: WARC documents in, report versions out.

    for doc in archive.documents(records):
        store.save(doc, parse(doc))

Three callers feed it: the crawl (each document as soon as its record is written,
nianbao/pipeline.py), `nianbao reparse` (whole WARC files) and `nianbao ingest` (local
files, first archived as WARC ``resource`` records: ingest.local). Every document is
offered to the parser, and its content decides whether it is a report.

A document whose payload this parser version has read already (the same URL and payload
digest: a revisit, a 304, an unchanged re-crawl, a second reparse) is not parsed or stored
again: the versions of that payload only note when it was seen. Everything else is parsed
and, when it is a report, stored as a new version; nothing is ever deleted. The outcome
(report, not a report, or the error) goes to the archive as a ``metadata`` record when the
caller gives a writer for it, and errors to the database's error table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from nianbao.archive.documents import Document
from nianbao.store import Store
from nianbao.store.repository import values_digest

from nianbao import parsers

#: outcomes of saving one document
REPORT, SEEN, NOT_REPORT, ERROR = "report", "seen", "not-report", "error"

MetadataWriter = Callable[[Document, dict], None]


def hints(doc: Document) -> parsers.Hints:
    return parsers.Hints(agency=doc.agency_hint, title=doc.link_text)


def parse(doc: Document, images: Callable[[str], bytes | None] | None = None
          ) -> parsers.Report:
    """What the parser reads in a document (raises what ``parsers.parse_document`` raises);
    ``images`` gives the archived bytes of a picture URL (tables printed as pictures)."""
    return parsers.parse_document(doc.body, content_type=doc.content_type, name=doc.name,
                                  hints=hints(doc), images=images)


def warm_up() -> None:
    """Load what the parser loads on first use (the schema, the division tables), so a
    worker process is at full speed from its first document."""
    parsers.parse_document(b"<html><body><table><tr><td>1</td></tr></table></body></html>",
                           content_type="text/html", name="warm-up.html")


@dataclass
class Parsed:
    """A report as a worker hands it back: its cells already as the rows the store writes
    (plain tuples pickle, and insert, far faster than ~200 Cell objects) and the digest of
    its values; ``report.cells`` is left empty."""

    report: parsers.Report
    cells: list[tuple]  # (key, value, raw, status)
    values_digest: str

    @classmethod
    def of(cls, report: parsers.Report) -> Parsed:
        cells = [(k, c.value, c.raw, c.status) for k, c in report.cells.items()]
        digest = values_digest((k, v) for k, v, _, _ in cells)
        report.cells = {}
        return cls(report, cells, digest)


def parse_safely(job: tuple) -> Parsed | parsers.Report | Exception:
    """``parse`` in a worker process: (body, content type, name, hints, images) in, the
    report (Parsed when it is one) or the exception out (picklable either way)."""
    body, content_type, name, doc_hints, images = job
    try:
        report = parsers.parse_document(body, content_type=content_type, name=name,
                                        hints=doc_hints, images=images)
    except Exception as exc:  # noqa: BLE001 - a broken document is an outcome, not a crash
        return exc
    return Parsed.of(report) if report.is_report else report


@dataclass
class Saved:
    outcome: str  # report | seen | not-report | error
    report_id: int | None = None
    fields: dict | None = None  # what the metadata record says


class Ingest:
    """Saves documents and what was parsed from them into one store.

    ``portal_ids`` maps portal names to ids (the crawl knows them); other names are looked
    up or made. ``metadata`` writes the archive's metadata record about a document.
    """

    def __init__(self, store: Store, *, run_id: int | None = None,
                 portal_ids: dict[str, int] | None = None,
                 metadata: MetadataWriter | None = None,
                 parser_version: str | None = None, errors_once: bool = True,
                 images: Callable[[str], bytes | None] | None = None) -> None:
        self.store = store
        self.images = images  # archived pictures by URL (reparse), for tables as pictures
        self.run_id = run_id
        self.portal_ids = dict(portal_ids or {})
        self.metadata = metadata
        self.version = parser_version or parsers.PARSER_VERSION
        self.errors_once = errors_once
        self.counts: Counter = Counter()
        self._known: dict[tuple[str, str], int] = {}

    # -- what is stored already ------------------------------------------------------------

    def known(self, docs: Iterable[Document]) -> set[tuple[str, str]]:
        """The (url, digest) of the documents this parser version has read already."""
        docs = [d for d in docs if d.payload_digest]
        ask = [(d.url, d.payload_digest) for d in docs
               if (d.url, d.payload_digest) not in self._known]
        if ask:
            self._known.update(self.store.versions_of(ask, self.version))
        return {(d.url, d.payload_digest) for d in docs
                if (d.url, d.payload_digest) in self._known}

    def is_known(self, doc: Document) -> bool:
        return bool(self.known([doc]))

    # -- saving ----------------------------------------------------------------------------

    def save(self, doc: Document, result: parsers.Report | Exception | None) -> Saved:
        """Store one document's outcome: ``result`` is the parse (a report or the exception
        it raised), or None for a payload already read by this parser version."""
        return self.save_many([(doc, result)])[0]

    def save_many(self, items: list[tuple[Document, parsers.Report | Exception | None]]
                  ) -> list[Saved]:
        """``save`` for several documents, in one transaction, the new versions written
        together (one INSERT of many rows per table)."""
        out: list[Saved | None] = [None] * len(items)
        versions: list[tuple[int, Document, parsers.Report]] = []
        # payloads this batch stores: known only once it commits (a batch that fails is
        # run again, and must not then take its own documents for "seen")
        batch: set[tuple[str, str]] = set()
        for doc, _ in items:
            # committed on their own: a batch that fails must not take a cached id with it
            self._portal_id(doc)
        with self.store.batch():
            for index, (doc, result) in enumerate(items):
                key = (doc.url, doc.payload_digest)
                if result is None or (doc.payload_digest
                                      and (key in self._known or key in batch)):
                    self.store.seen_again(doc.url, doc.payload_digest, doc.fetched_at)
                    out[index] = Saved(SEEN, self._known.get(key))
                elif isinstance(result, Parsed):
                    versions.append((index, doc, result))
                    if doc.payload_digest:
                        batch.add(key)
                elif isinstance(result, Exception):
                    message = f"{type(result).__name__}: {result}"
                    self.store.add_error(self.run_id, doc.url, "parse", message,
                                         once=self.errors_once)
                    out[index] = Saved(ERROR, fields={"error": message})
                elif not result.is_report:
                    out[index] = Saved(NOT_REPORT, fields={"is_report": False})
                else:
                    versions.append((index, doc, result))
                    if doc.payload_digest:
                        batch.add(key)  # a second copy in this batch is "seen"
            self._add_fetches([doc for _, doc, _ in versions])
            ids = self.store.add_reports([
                {"url": doc.url, "fetch_id": self._fetch_id(doc),
                 "portal_id": self._portal_id(doc), "parser_version": self.version,
                 "payload_digest": doc.payload_digest, "seen_at": doc.fetched_at,
                 **({"report": result.report, "cells": result.cells,
                     "values_digest": result.values_digest}
                    if isinstance(result, Parsed) else {"report": result})}
                for _, doc, result in versions])
        for (index, doc, result), report_id in zip(versions, ids, strict=True):
            if isinstance(result, Parsed):
                result = result.report
            if doc.payload_digest:
                self._known[(doc.url, doc.payload_digest)] = report_id
            out[index] = Saved(REPORT, report_id, {
                "is_report": True, "report_id": report_id, "agency": result.agency,
                "year": result.year, "status": result.status})
        for (doc, _), saved in zip(items, out, strict=True):
            self.counts[saved.outcome] += 1
            if saved.fields is not None and self.metadata is not None:
                self.metadata(doc, {"parser_version": self.version, **saved.fields})
        return out

    def _portal_id(self, doc: Document) -> int | None:
        if not doc.portal:
            return None
        if doc.portal not in self.portal_ids:
            self.portal_ids[doc.portal] = self.store.portal_named(doc.portal)
        return self.portal_ids[doc.portal]

    def _fetch_id(self, doc: Document) -> int | None:
        """The document's fetch row: the one it came with, else one made from its record."""
        self._add_fetches([doc])
        return doc.fetch_id

    def _add_fetches(self, docs: list[Document]) -> None:
        """Fetch rows for the documents that came without one, made from their records in
        one INSERT (provenance: every version points at its WARC record)."""
        missing = [d for d in docs
                   if d.fetch_id is None and d.record_id and d.warc_file is not None]
        ids = self.store.add_fetches([dict(
            crawl_run_id=self.run_id, portal_id=self._portal_id(d), url=d.url,
            method="GET", status=d.status, content_type=d.content_type,
            payload_digest=d.payload_digest, warc_file=d.warc_file, warc_offset=d.offset,
            warc_length=d.length, warc_record_id=d.record_id, record_type=d.record_type,
            refers_to_record_id=d.refers_to, fetched_at=d.fetched_at) for d in missing])
        for doc, fetch_id in zip(missing, ids, strict=True):
            doc.fetch_id = fetch_id

    # -- many documents ----------------------------------------------------------------------

    def run(self, docs: Iterable[Document], *, pool=None, batch: int = 64,
            progress: Callable[[int], None] | None = None) -> Counter:
        """Save every document, ``batch`` at a time, each batch in one transaction; parse in
        ``pool`` (a multiprocessing pool) when given. Killed and run again, it goes on
        where it stopped: what a committed batch stored is known, and not parsed again."""
        # While the pool parses one batch, this process reads the next and stores the one
        # before: reading, parsing and storing overlap.
        pending = None
        for chunk in _batched(docs, batch):
            known = self.known(chunk)
            self._attach_fetches(chunk)
            todo = [d for d in chunk if (d.url, d.payload_digest) not in known]
            jobs = [(d.body, d.content_type, d.name, hints(d), self.images) for d in todo]
            if pool is not None and len(jobs) > 1:
                results = pool.map_async(parse_safely, jobs,
                                         chunksize=max(1, len(jobs) // 32))
            else:
                results = [parse_safely(job) for job in jobs]
            if pending is not None:
                self._finish(*pending, progress)
            pending = (chunk, todo, results)
        if pending is not None:
            self._finish(*pending, progress)
        return self.counts

    def _finish(self, chunk: list[Document], todo: list[Document], results,
                progress: Callable[[int], None] | None) -> None:
        results = results if isinstance(results, list) else results.get()
        parsed = dict(zip(map(id, todo), results, strict=True))
        self.save_many([(doc, parsed.get(id(doc))) for doc in chunk])
        for doc in chunk:
            doc._body = None  # the batch's bodies go with it
        if progress is not None:
            progress(len(chunk))

    def _attach_fetches(self, chunk: list[Document]) -> None:
        missing = [d.record_id for d in chunk if d.fetch_id is None and d.record_id]
        if missing:
            found = self.store.fetches_for_records(missing)
            for doc in chunk:
                if doc.fetch_id is None:
                    doc.fetch_id = found.get(doc.record_id)


def _batched(items: Iterable[Document], size: int) -> Iterator[list[Document]]:
    chunk: list[Document] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
