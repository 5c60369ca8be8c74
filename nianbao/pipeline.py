"""The Scrapy component that hands every fetched document to the one ingest path.

PDF and Word documents are parsed in a worker process (`nianbao.parsing`), so a slow PDF
or a .doc's LibreOffice conversion never stalls the crawl; HTML, text and everything else
happen on the event loop.

It is both an item pipeline (documents and failures from the spider) and a listener for
the archive's signals: one fetch row per archived record, written as the record is, and
carried with the request (``request.meta["fetch"]``) to the document the spider makes of
the response. The document, its fetch row and the parse then go to ``ingest.Ingest``,
which stores a new version, or only notes that an unchanged payload was seen again (then
nothing is parsed), and has the archive write the metadata record of the outcome.

Every write goes through ``store.retry``: a fetch row, an error row and a whole ingest save
are each one unit, retried across a short database outage; past NIANBAO_DB_RETRY_SECONDS the
crawl stops "interrupted", and the next run adds the rows the archive holds and the
database lacks.
"""

from __future__ import annotations

from contextlib import suppress

from scrapy.crawler import Crawler

from nianbao import parsers
from nianbao.archive.documents import Document
from nianbao.archive.middleware import interrupt_crawl
from nianbao.archive.signals import (
    document_parsed,
    exchange_archived,
    resource_archived,
)
from nianbao.archive.writer import HttpExchange, RecordLocation
from nianbao.crawler.items import DocumentItem, FailureItem, Fetched
from nianbao.ingest import ERROR, NOT_REPORT, REPORT, SEEN, Ingest
from nianbao.store import Store
from nianbao.store.retry import DatabaseUnavailable, RetryingStore

from .parsing import DEFAULT_TIMEOUT, ParserPool


class StorePipeline:
    def __init__(self, crawler: Crawler, store: Store | RetryingStore, run_id: int | None,
                 portal_ids: dict[str, int], parser_pool: ParserPool | None = None) -> None:
        self.crawler = crawler
        self.store = store if isinstance(store, RetryingStore) else RetryingStore(store)
        store = self.store.store  # ingest's own calls run inside one retried unit (save)
        self.run_id = run_id
        self.portal_ids = portal_ids
        self.parser_pool = parser_pool or ParserPool(processes=0)
        self.ingest = Ingest(store, run_id=run_id, portal_ids=portal_ids,
                             metadata=self._archive_parse)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        store = RetryingStore(Store(settings["NIANBAO_DB_URL"], upgrade=True),
                              seconds=settings.getfloat("NIANBAO_DB_RETRY_SECONDS", 120.0),
                              on_unavailable=lambda reason: interrupt_crawl(
                                  crawler, reason, "database_unavailable"))
        pool = ParserPool(settings.getint("NIANBAO_PARSE_PROCESSES", 1),
                          settings.getfloat("NIANBAO_PARSE_TIMEOUT", DEFAULT_TIMEOUT))
        pipeline = cls(crawler, store,
                       settings.getint("NIANBAO_RUN_ID") or None,
                       settings.getdict("NIANBAO_PORTAL_IDS"), pool)
        crawler.signals.connect(pipeline.record_fetch, signal=exchange_archived)
        crawler.signals.connect(pipeline.record_archived, signal=resource_archived)
        return pipeline

    def record_fetch(self, request, response, exchange: HttpExchange,
                     response_record: RecordLocation, request_record: RecordLocation) -> None:
        # past the retry time the crawl is stopping; the next run adds the row from the WARC
        with suppress(DatabaseUnavailable):
            self._record_fetch(request, response, exchange, response_record, request_record)

    def _record_fetch(self, request, response, exchange: HttpExchange,
                      response_record: RecordLocation, request_record: RecordLocation) -> None:
        content_type = next((v for k, v in exchange.response_headers
                             if k.lower() == "content-type"), None)
        if content_type is None and response is not None:
            # a 304 stands for the archived response, whose type the spider sees
            archived = response.headers.get(b"Content-Type")
            content_type = archived.decode("latin-1") if archived else None
        fetched_at = exchange.fetched_at.replace(tzinfo=None) if exchange.fetched_at else None
        fetch_id = self.store.add_fetch(
            crawl_run_id=self.run_id, portal_id=self.portal_ids.get(request.meta.get("portal")),
            url=exchange.url, method=exchange.method, status=exchange.status,
            content_type=content_type,
            payload_digest=response_record.payload_digest, warc_file=response_record.warc_file,
            warc_offset=response_record.offset, warc_length=response_record.length,
            warc_record_id=response_record.record_id, request_record_id=request_record.record_id,
            fetched_at=fetched_at, record_type=response_record.record_type,
            refers_to_record_id=response_record.refers_to,
        )
        if response is not None:  # a browser capture's page: its DOM's row is the one
            request.meta["fetch"] = _fetched(fetch_id, response_record, exchange.status,
                                             fetched_at)

    def record_archived(self, url: str, record: RecordLocation, request=None,
                        fetched_at=None) -> None:
        """A fetch row for a record that is not an exchange: a browser's rendered DOM."""
        with suppress(DatabaseUnavailable):
            self._record_archived(url, record, request, fetched_at)

    def _record_archived(self, url: str, record: RecordLocation, request,
                         fetched_at) -> None:
        portal = request.meta.get("portal") if request is not None else None
        fetched_at = fetched_at.replace(tzinfo=None) if fetched_at else None
        fetch_id = self.store.add_fetch(
            crawl_run_id=self.run_id, portal_id=self.portal_ids.get(portal), url=url,
            method="GET", status=None, payload_digest=record.payload_digest,
            warc_file=record.warc_file, warc_offset=record.offset, warc_length=record.length,
            warc_record_id=record.record_id, record_type=record.record_type,
            refers_to_record_id=record.refers_to, fetched_at=fetched_at)
        if request is not None:
            request.meta["fetch"] = _fetched(fetch_id, record, None, fetched_at)

    def _archive_parse(self, doc: Document, fields: dict) -> None:
        """Tell the archive what was parsed from the document (a metadata record)."""
        context = {"portal": doc.portal, "content_type": doc.content_type,
                   "link_text": doc.link_text, "agency_hint": doc.agency_hint,
                   "referer": doc.referer}
        self.crawler.signals.send_catch_log(document_parsed, url=doc.url,
                                            record_id=doc.record_id,
                                            fields={**context, **fields})

    async def process_item(self, item):
        try:
            if isinstance(item, FailureItem):
                self.store.add_error(self.run_id, item.url, item.stage, item.message)
            elif isinstance(item, DocumentItem):
                await self._parse_and_store(item)
        except DatabaseUnavailable:
            pass  # logged once (store.retry); the crawl stops, the next run replays the item
        return item

    def _document(self, item: DocumentItem) -> Document:
        fetch = item.fetch
        if fetch is None and item.warc_record_id:
            # a document replayed from the archive (a resumed crawl): its row is there
            row = self.store.fetch_row(item.warc_record_id)
            if row is not None:
                fetch = Fetched(row.id, row.warc_record_id, row.warc_file, row.warc_offset,
                                row.warc_length, row.record_type or "response",
                                row.payload_digest, row.refers_to_record_id, row.status,
                                row.fetched_at)
        doc = Document(url=item.url, content_type=item.content_type,
                       record_id=item.warc_record_id, status=item.status, portal=item.portal,
                       link_text=item.link_text, agency_hint=item.agency_hint,
                       referer=item.referer, _body=item.body)
        if fetch is not None:
            doc.fetch_id, doc.payload_digest = fetch.fetch_id, fetch.payload_digest
            doc.fetched_at, doc.record_type = fetch.fetched_at, fetch.record_type
            doc.warc_file, doc.offset, doc.length = fetch.warc_file, fetch.offset, fetch.length
            doc.refers_to = fetch.refers_to
        return doc

    async def _parse_and_store(self, item: DocumentItem) -> None:
        stats = self.crawler.stats
        doc = self._document(item)
        result = None
        # a read, retried like the writes: a connection lost here must not fail the item
        # (an item error settles its frontier entry "failed", and the rerun would skip it)
        if not self.store.run(lambda: self.ingest.is_known(doc), "reading a document"):
            try:
                result = await self.parser_pool.parse(
                    doc.body, content_type=doc.content_type, name=doc.url,
                    hints=parsers.Hints(agency=doc.agency_hint, title=doc.link_text),
                    images=item.images)
            except Exception as exc:  # noqa: BLE001 - a broken document is an outcome
                result = exc
        try:
            saved = self.store.run(lambda: self.ingest.save(doc, result), "storing a document")
        except DatabaseUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - the crawl goes on; the row says what failed
            self.store.add_error(self.run_id, item.url, "store", f"{type(exc).__name__}: {exc}")
            stats.inc_value(f"nianbao/errors/{item.portal}")
            return
        if saved.outcome == ERROR:
            stats.inc_value(f"nianbao/errors/{item.portal}")
        elif saved.outcome == NOT_REPORT:
            stats.inc_value(f"nianbao/not_reports/{item.portal}")
        elif saved.outcome in (REPORT, SEEN):
            stats.inc_value(f"nianbao/reports/{item.portal}")
            if saved.outcome == SEEN:
                stats.inc_value(f"nianbao/seen/{item.portal}")
            elif result is not None and result.checks_failed:
                stats.inc_value(f"nianbao/checks_failed/{item.portal}")

    def close_spider(self) -> None:
        self.parser_pool.close()
        self.store.close()


def _fetched(fetch_id: int, record: RecordLocation, status: int | None,
             fetched_at) -> Fetched:
    return Fetched(fetch_id=fetch_id, record_id=record.record_id, warc_file=record.warc_file,
                   offset=record.offset, length=record.length, record_type=record.record_type,
                   payload_digest=record.payload_digest, refers_to=record.refers_to,
                   status=status, fetched_at=fetched_at)
