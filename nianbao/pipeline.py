"""The Scrapy component that parses fetched documents and stores everything the crawl saw.

It is both an item pipeline (documents and failures from the spider) and a listener for
the archive's `exchange_archived` signal (one fetch row per archived response), so every
stored report can be traced to the WARC record it was parsed from.
"""

from __future__ import annotations

from scrapy.crawler import Crawler

import parsers
from archive.signals import exchange_archived
from archive.writer import HttpExchange, RecordLocation
from crawler.items import DocumentItem, FailureItem
from store import Store


class StorePipeline:
    def __init__(self, crawler: Crawler, store: Store, run_id: int | None,
                 portal_ids: dict[str, int]) -> None:
        self.crawler = crawler
        self.store = store
        self.run_id = run_id
        self.portal_ids = portal_ids

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        pipeline = cls(crawler, Store(settings["NIANBAO_DB_URL"]),
                       settings.getint("NIANBAO_RUN_ID") or None,
                       settings.getdict("NIANBAO_PORTAL_IDS"))
        crawler.signals.connect(pipeline.record_fetch, signal=exchange_archived)
        return pipeline

    def record_fetch(self, request, response, exchange: HttpExchange,
                     response_record: RecordLocation, request_record: RecordLocation) -> None:
        content_type = response.headers.get(b"Content-Type")
        self.store.add_fetch(
            crawl_run_id=self.run_id, portal_id=self.portal_ids.get(request.meta.get("portal")),
            url=exchange.url, method=exchange.method, status=exchange.status,
            content_type=content_type.decode("latin-1") if content_type else None,
            payload_digest=response_record.payload_digest, warc_file=response_record.warc_file,
            warc_offset=response_record.offset, warc_length=response_record.length,
            warc_record_id=response_record.record_id, request_record_id=request_record.record_id,
            fetched_at=exchange.fetched_at.replace(tzinfo=None) if exchange.fetched_at else None,
        )

    def process_item(self, item):
        if isinstance(item, FailureItem):
            self.store.add_error(self.run_id, item.url, item.stage, item.message)
        elif isinstance(item, DocumentItem):
            self._parse_and_store(item)
        return item

    def _parse_and_store(self, item: DocumentItem) -> None:
        stats = self.crawler.stats
        hints = parsers.Hints(agency=item.agency_hint, title=item.link_text)
        try:
            report = parsers.parse_document(item.body, content_type=item.content_type,
                                            name=item.url, hints=hints)
        except Exception as exc:  # noqa: BLE001 - any broken document is recorded, never fatal
            self.store.add_error(self.run_id, item.url, "parse", f"{type(exc).__name__}: {exc}")
            stats.inc_value(f"nianbao/errors/{item.portal}")
            return
        if not report.is_report:
            stats.inc_value(f"nianbao/not_reports/{item.portal}")
            return
        fetch = self.store.fetch_for_record(item.warc_record_id) if item.warc_record_id else None
        self.store.add_report(report, url=item.url, fetch_id=fetch.id if fetch else None,
                              portal_id=self.portal_ids.get(item.portal),
                              parser_version=parsers.PARSER_VERSION)
        stats.inc_value(f"nianbao/reports/{item.portal}")
        if report.checks_failed:
            stats.inc_value(f"nianbao/checks_failed/{item.portal}")

    def close_spider(self) -> None:
        self.store.close()
