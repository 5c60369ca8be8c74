"""The Scrapy downloader middleware that archives every response as it came off the wire.

It sits closer to the downloader than HttpCompressionMiddleware (order 950 > 590), so it
sees each body still content-encoded as sent, and every redirect and retried attempt.
"""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from . import signals as archive_signals
from .writer import BrowserCapture, HttpExchange, WarcFileWriter

# Headers that described a transfer the HTTP client already undid.
_HOP_BY_HOP = {b"transfer-encoding"}


class WarcArchiveMiddleware:
    def __init__(self, crawler: Crawler, writer: WarcFileWriter) -> None:
        self.crawler = crawler
        self.writer = writer

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchiveMiddleware:
        settings = crawler.settings
        writer = WarcFileWriter(
            Path(settings.get("ARCHIVE_DIR", "warc")),
            prefix=settings.get("ARCHIVE_PREFIX", "nianbao"),
            max_file_size=settings.getint("ARCHIVE_MAX_FILE_SIZE", 1_000_000_000),
            warcinfo=settings.getdict("ARCHIVE_WARCINFO"),
        )
        middleware = cls(crawler, writer)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(self, request: Request, response: Response) -> Response:
        capture = request.meta.get("browser_capture")
        if isinstance(capture, BrowserCapture):
            # A browser-rendered page: what the browser received, then the DOM as a
            # resource record. The rendered body Scrapy holds is never written as a response.
            request.meta["warc_record"] = self.writer.write_capture(capture)
            return response
        exchange = to_exchange(request, response)
        response_record, request_record = self.writer.write(exchange)
        request.meta["warc_record"] = response_record
        self.crawler.signals.send_catch_log(
            archive_signals.exchange_archived, request=request, response=response,
            exchange=exchange, response_record=response_record, request_record=request_record)
        return response

    def spider_closed(self) -> None:
        self.writer.close()


def to_exchange(request: Request, response: Response) -> HttpExchange:
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request_headers = [("Host", parts.netloc)] + _pairs(request.headers.items())
    response_headers = [(k, v) for k, v in _pairs(response.headers.items())
                        if k.lower().encode() not in _HOP_BY_HOP]
    if response.headers.get(b"Transfer-Encoding"):
        # The client de-chunked the body: say how long the stored body is.
        response_headers = [(k, v) for k, v in response_headers if k.lower() != "content-length"]
        response_headers.append(("Content-Length", str(len(response.body))))
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    return HttpExchange(
        url=request.url, method=request.method, request_target=target,
        request_headers=request_headers, request_body=request.body or b"",
        status=response.status, reason=reason, protocol=response.protocol or "HTTP/1.1",
        response_headers=response_headers, response_body=response.body,
        ip_address=str(response.ip_address) if response.ip_address else None,
        fetched_at=datetime.now(UTC),
    )


def _pairs(items) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in items for value in values]
