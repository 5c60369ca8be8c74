"""The Scrapy downloader middleware that archives every response as it came off the wire.

It sits closer to the downloader than HttpCompressionMiddleware (order 950 > 590), so it
sees each body still content-encoded as sent, and every redirect and retried attempt.

On the way out it makes requests conditional (If-None-Match / If-Modified-Since from the
newest archived capture of the URL); a ``304`` is archived as a server-not-modified
revisit and the spider gets the archived response instead, so a re-crawl still follows
the links of pages that did not change.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.responsetypes import responsetypes

from . import signals as archive_signals
from .index import ArchiveIndex
from .reader import load_payload
from .records import IndexEntry, request_target
from .recovery import recover_open_files
from .writer import ArchiveWriteError, BrowserCapture, HttpExchange, WarcFileWriter

logger = logging.getLogger(__name__)


class WarcArchiveMiddleware:
    def __init__(self, crawler: Crawler, writer: WarcFileWriter, *,
                 conditional: bool = True) -> None:
        self.crawler = crawler
        self.writer = writer
        self.conditional = conditional

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchiveMiddleware:
        settings = crawler.settings
        directory = Path(settings.get("ARCHIVE_DIR", "warc"))
        # before the writer loads the index: a killed crawl's records join it
        for recovered in recover_open_files(directory):
            crawler.stats.inc_value("archive/recovered_files")
            crawler.stats.inc_value("archive/recovered_records", recovered.records)
        # this middleware's for the crawl: closed with it (its WAL files then go away)
        index = ArchiveIndex(directory)
        writer = WarcFileWriter(
            directory, index=index,
            prefix=settings.get("ARCHIVE_PREFIX", "nianbao"),
            max_file_size=settings.getint("ARCHIVE_MAX_FILE_SIZE", 1_000_000_000),
            warcinfo=settings.getdict("ARCHIVE_WARCINFO"),
            gzip_level=settings.getint("ARCHIVE_GZIP_LEVEL", 6),
            dedup=settings.getbool("ARCHIVE_DEDUP", True),
        )
        middleware = cls(crawler, writer,
                         conditional=settings.getbool("ARCHIVE_CONDITIONAL_REQUESTS", True))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(middleware.document_parsed,
                                signal=archive_signals.document_parsed)
        return middleware

    @property
    def index(self) -> ArchiveIndex:
        return self.writer.index

    def process_request(self, request: Request) -> None:
        if not self.conditional or request.method != "GET" or "browser_capture" in request.meta:
            return None
        if request.headers.get(b"If-None-Match") or request.headers.get(b"If-Modified-Since"):
            return None
        latest = self.index.latest(request.url)
        if latest is None:
            return None
        # a success, or a server-not-modified revisit (indexed without a status, as
        # cdxj-indexer does: it has no HTTP block)
        if latest.status not in ("200", "304") and not (
                latest.record_type == "revisit" and latest.status is None):
            return None
        stored = self._load(latest)
        if stored is None:
            return None
        # a server-not-modified revisit has no headers of its own: the original's apply
        validators = {k.lower(): v for k, v in stored.http_headers or stored.payload_http}
        if "etag" in validators:
            request.headers[b"If-None-Match"] = validators["etag"]
        if "last-modified" in validators:
            request.headers[b"If-Modified-Since"] = validators["last-modified"]
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        try:
            return self._archive(request, response)
        except ArchiveWriteError as exc:
            # No fetch goes on without its record: the crawl stops here, the request is
            # not settled in the frontier, and the next run fetches it again.
            self._stop(str(exc))
            raise

    def _stop(self, reason: str) -> None:
        interrupt_crawl(self.crawler, reason, "archive_failed")

    def _archive(self, request: Request, response: Response) -> Response:
        capture = request.meta.get("browser_capture")
        if isinstance(capture, BrowserCapture):
            # A browser-rendered page: what the browser received, then the DOM as a
            # resource record. The rendered body Scrapy holds is never written as a response.
            records = self.writer.write_capture_records(capture)
            for exchange, response_record, request_record in records[:-1]:
                self.crawler.signals.send_catch_log(
                    archive_signals.exchange_archived, request=request, response=None,
                    exchange=exchange, response_record=response_record,
                    request_record=request_record)
            request.meta["warc_record"] = records[-1]
            self.crawler.signals.send_catch_log(
                archive_signals.resource_archived, request=request, url=capture.page_url,
                record=records[-1], fetched_at=capture.fetched_at)
            return response
        exchange = to_exchange(request, response)
        response_record, request_record = self.writer.write(exchange)
        request.meta["warc_record"] = response_record
        if response.status == 304 and response_record.refers_to:
            response = self._archived_response(request, response) or response
        self.crawler.signals.send_catch_log(
            archive_signals.exchange_archived, request=request, response=response,
            exchange=exchange, response_record=response_record, request_record=request_record)
        return response

    def _load(self, entry: IndexEntry | None):
        """The archived capture an index entry names (a revisit read through), or None."""
        if entry is None:
            return None
        try:
            return load_payload(self.writer.directory, entry.filename, entry.offset,
                                self.index)
        except (OSError, LookupError):
            return None

    def _archived_response(self, request: Request, response: Response) -> Response | None:
        """The archived capture a 304 confirmed, as the response the spider sees."""
        stored = self._load(self.index.latest(request.url))
        if stored is None:
            return None
        # The archived 200's headers describe the archived body (still content-encoded),
        # so HttpCompressionMiddleware decodes it as it would a fresh one.
        headers: dict[str, list[str]] = {}
        for name, value in stored.payload_http:
            headers.setdefault(name, []).append(value)
        cls = responsetypes.from_args(headers=headers, url=request.url, body=stored.raw)
        return cls(url=request.url, status=200, headers=headers, body=stored.raw,
                   request=request, flags=["archived"], ip_address=response.ip_address,
                   protocol=response.protocol)

    def document_parsed(self, url: str, record_id: str | None, fields: dict) -> None:
        """A metadata record tying a document record to what was parsed from it."""
        try:
            location = self.writer.write_metadata(url, record_id, fields)
        except ArchiveWriteError as exc:
            self._stop(str(exc))
            return
        self.crawler.signals.send_catch_log(archive_signals.metadata_archived, url=url,
                                            record=location)

    def spider_closed(self) -> None:
        self.writer.close()
        self.writer.index.close()


def interrupt_crawl(crawler: Crawler, reason: str, finish_reason: str) -> None:
    """Stop the crawl for a fault nothing can work around (a full disk, a database gone):
    the first reason is kept (stats ``nianbao/interrupted_reason``) and the run ends with
    ``finish_reason``, so it is recorded "interrupted", never "completed"."""
    stats = crawler.stats
    if stats.get_value("nianbao/interrupted_reason"):
        return
    stats.set_value("nianbao/interrupted_reason", reason)
    logger.error("the crawl stops: %s", reason)
    engine = crawler.engine
    if engine is None or engine.spider is None:
        return
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import reactor

    # after the current callback returns; closing waits for the downloads in flight
    reactor.callLater(0, lambda: deferred_from_coro(
        engine.close_spider_async(reason=finish_reason)))


def to_exchange(request: Request, response: Response) -> HttpExchange:
    parts = urlsplit(request.url)
    # The heads as they crossed the wire, when the download handler kept them (see
    # crawler.wire); each response pops its own, so a redirect or a retry never inherits
    # the head of an earlier one.
    wire = request.meta.pop("wire", None)
    if wire is not None and wire.status == response.status:
        request_headers = list(wire.request_headers)
        response_headers = list(wire.response_headers)
        protocol, reason = wire.protocol, wire.reason
    else:
        # Another handler (through a proxy): Twisted keeps connection headers
        # (Transfer-Encoding, Connection, Keep-Alive) out of the response, de-chunks the
        # body and re-cases names; Scrapy adds Content-Length when the length was known.
        # The writer drops any header left that does not hold for the stored body.
        request_headers = [("Host", parts.netloc)] + _pairs(request.headers.items())
        response_headers = _pairs(response.headers.items())
        protocol = response.protocol or "HTTP/1.1"
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
    return HttpExchange(
        url=request.url, method=request.method, request_target=request_target(request.url),
        request_headers=request_headers, request_body=request.body or b"",
        status=response.status, reason=reason, protocol=protocol,
        response_headers=response_headers, response_body=response.body,
        ip_address=str(response.ip_address) if response.ip_address else None,
        fetched_at=datetime.now(UTC),
    )


def _pairs(items) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in items for value in values]
