"""The Scrapy component that parses fetched documents and stores everything the crawl saw.

PDF and Word documents are parsed in a worker process (`nianbao.parsing`), so a slow PDF
or a .doc's LibreOffice conversion never stalls the crawl; HTML, text and everything else
happen on the event loop.

It is both an item pipeline (documents and failures from the spider) and a listener for
the archive's `exchange_archived` signal (one fetch row per archived response), so every
stored report can be traced to the WARC record it was parsed from.
"""

from __future__ import annotations

from scrapy.crawler import Crawler

import parsers
from archive.signals import (
    document_parsed,
    exchange_archived,
    resource_archived,
)
from archive.writer import HttpExchange, RecordLocation
from crawler.items import DocumentItem, FailureItem
from store import Store

from .parsing import DEFAULT_TIMEOUT, ParserPool


class StorePipeline:
    def __init__(self, crawler: Crawler, store: Store, run_id: int | None,
                 portal_ids: dict[str, int], parser_pool: ParserPool | None = None) -> None:
        self.crawler = crawler
        self.store = store
        self.run_id = run_id
        self.portal_ids = portal_ids
        self.parser_pool = parser_pool or ParserPool(processes=0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        store = Store(settings["NIANBAO_DB_URL"])
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
        content_type = next((v for k, v in exchange.response_headers
                             if k.lower() == "content-type"), None)
        if content_type is None and response is not None:
            # a 304 stands for the archived response, whose type the spider sees
            archived = response.headers.get(b"Content-Type")
            content_type = archived.decode("latin-1") if archived else None
        self.store.add_fetch(
            crawl_run_id=self.run_id, portal_id=self.portal_ids.get(request.meta.get("portal")),
            url=exchange.url, method=exchange.method, status=exchange.status,
            content_type=content_type,
            payload_digest=response_record.payload_digest, warc_file=response_record.warc_file,
            warc_offset=response_record.offset, warc_length=response_record.length,
            warc_record_id=response_record.record_id, request_record_id=request_record.record_id,
            fetched_at=exchange.fetched_at.replace(tzinfo=None) if exchange.fetched_at else None,
            record_type=response_record.record_type,
            refers_to_record_id=response_record.refers_to,
        )

    def record_archived(self, url: str, record: RecordLocation, request=None,
                        fetched_at=None) -> None:
        """A fetch row for a record that is not an exchange: a browser's rendered DOM."""
        portal = request.meta.get("portal") if request is not None else None
        self.store.add_fetch(
            crawl_run_id=self.run_id, portal_id=self.portal_ids.get(portal), url=url,
            method="GET", status=None, payload_digest=record.payload_digest,
            warc_file=record.warc_file, warc_offset=record.offset, warc_length=record.length,
            warc_record_id=record.record_id, record_type=record.record_type,
            refers_to_record_id=record.refers_to,
            fetched_at=fetched_at.replace(tzinfo=None) if fetched_at else None)

    def _archive_parse(self, item: DocumentItem, fields: dict) -> None:
        """Tell the archive what was parsed from the document (a metadata record)."""
        fields = {"portal": item.portal, "content_type": item.content_type,
                  "link_text": item.link_text, "agency_hint": item.agency_hint,
                  "referer": item.referer, "parser_version": parsers.PARSER_VERSION, **fields}
        self.crawler.signals.send_catch_log(document_parsed, url=item.url,
                                            record_id=item.warc_record_id, fields=fields)

    async def process_item(self, item):
        if isinstance(item, FailureItem):
            self.store.add_error(self.run_id, item.url, item.stage, item.message)
        elif isinstance(item, DocumentItem):
            await self._parse_and_store(item)
        return item

    async def _parse_and_store(self, item: DocumentItem) -> None:
        stats = self.crawler.stats
        hints = parsers.Hints(agency=item.agency_hint, title=item.link_text)
        try:
            report = await self.parser_pool.parse(item.body, content_type=item.content_type,
                                                  name=item.url, hints=hints,
                                                  images=item.images)
        except Exception as exc:  # noqa: BLE001 - any broken document is recorded, never fatal
            self.store.add_error(self.run_id, item.url, "parse", f"{type(exc).__name__}: {exc}")
            stats.inc_value(f"nianbao/errors/{item.portal}")
            self._archive_parse(item, {"error": f"{type(exc).__name__}: {exc}"})
            return
        if not report.is_report:
            stats.inc_value(f"nianbao/not_reports/{item.portal}")
            self._archive_parse(item, {"is_report": False})
            return
        fetch = self.store.fetch_for_record(item.warc_record_id) if item.warc_record_id else None
        if fetch is not None and self._already_stored(fetch.id):
            # crawler: a resumed crawl replays a document it had stored before it was killed
            stats.inc_value(f"nianbao/reports/{item.portal}")
            return
        try:
            report_id = self.store.add_report(report, url=item.url,
                                              fetch_id=fetch.id if fetch else None,
                                              portal_id=self.portal_ids.get(item.portal),
                                              parser_version=parsers.PARSER_VERSION)
        except Exception as exc:  # noqa: BLE001 - the crawl goes on; the row says what failed
            self.store.add_error(self.run_id, item.url, "store",
                                 f"{type(exc).__name__}: {exc}")
            stats.inc_value(f"nianbao/errors/{item.portal}")
            return
        self._archive_parse(item, {"is_report": True, "report_id": report_id,
                                   "agency": report.agency, "year": report.year})
        stats.inc_value(f"nianbao/reports/{item.portal}")
        if report.checks_failed:
            stats.inc_value(f"nianbao/checks_failed/{item.portal}")

    def _already_stored(self, fetch_id: int) -> bool:
        from sqlalchemy import select

        from store import models
        return self.store.session.scalar(
            select(models.Report.id).where(models.Report.fetch_id == fetch_id,
                                           models.Report.parser_version
                                           == parsers.PARSER_VERSION)) is not None

    def close_spider(self) -> None:
        self.parser_pool.close()
        self.store.close()
