"""Writing HTTP exchanges to gzip'd WARC files with warcio.

Each file starts with a `warcinfo` record; each exchange is a `response` record followed
by its `request`, linked by WARC-Concurrent-To. Files are written under a `.open` name
and renamed when closed, so a finished name always means a finished file.
"""

from __future__ import annotations

import io
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

OPEN_SUFFIX = ".open"


@dataclass(frozen=True)
class HttpExchange:
    """What went over the wire, as far as the fetcher can tell."""

    url: str
    method: str
    request_target: str  # path and query, as in the request line
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    reason: str
    protocol: str  # "HTTP/1.1"
    response_headers: list[tuple[str, str]]
    response_body: bytes  # as sent: still content-encoded, transfer-decoded
    ip_address: str | None = None
    fetched_at: datetime | None = None


@dataclass(frozen=True)
class BrowserCapture:
    """What a headless browser received while rendering one page.

    The archive writes each network exchange as a request/response pair and the rendered
    DOM as a ``resource`` record referring to the page's response, never as a response.
    """

    page_url: str
    exchanges: tuple[HttpExchange, ...]  # the page itself first, then XHR/fetch/attachments
    rendered_dom: bytes  # UTF-8 HTML serialisation of the DOM after scripts ran
    fetched_at: datetime | None = None


@dataclass(frozen=True)
class RecordLocation:
    """Where a record is: enough to read it back without an index."""

    warc_file: str  # file name, relative to the WARC directory
    offset: int
    length: int
    record_id: str
    payload_digest: str | None = None


class WarcFileWriter:
    def __init__(self, directory: Path | str, *, prefix: str = "nianbao",
                 max_file_size: int = 1_000_000_000, warcinfo: dict[str, str] | None = None
                 ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_file_size = max_file_size
        self.warcinfo = dict(warcinfo or {})
        self.stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        self.serial = 0
        self._fh: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None
        self.filename: str | None = None
        self.files_written: list[str] = []

    def _open(self) -> None:
        self.serial += 1
        host = socket.gethostname().split(".")[0]
        self.filename = f"{self.prefix}-{self.stamp}-{self.serial:05d}-{os.getpid()}-{host}.warc.gz"
        self._fh = open(self.directory / (self.filename + OPEN_SUFFIX), "wb")  # noqa: SIM115
        self._writer = WARCWriter(self._fh, gzip=True)
        info = self._writer.create_warcinfo_record(self.filename, self.warcinfo)
        self._writer.write_record(info)

    def write(self, exchange: HttpExchange) -> tuple[RecordLocation, RecordLocation]:
        """Write the response and request records; returns their locations."""
        if self._writer is None:
            self._open()
        writer = self._writer
        date = (exchange.fetched_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        response_headers = StatusAndHeaders(f"{exchange.status} {exchange.reason}".strip(),
                                            exchange.response_headers,
                                            protocol=exchange.protocol)
        extra = {"WARC-Date": date}
        if exchange.ip_address:
            extra["WARC-IP-Address"] = exchange.ip_address
        response = writer.create_warc_record(
            exchange.url, "response", payload=io.BytesIO(exchange.response_body),
            length=len(exchange.response_body), http_headers=response_headers,
            warc_headers_dict=extra)
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        request_headers = StatusAndHeaders(
            f"{exchange.method} {exchange.request_target} {exchange.protocol}",
            exchange.request_headers, is_http_request=True)
        request = writer.create_warc_record(
            exchange.url, "request", payload=io.BytesIO(exchange.request_body),
            length=len(exchange.request_body), http_headers=request_headers,
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id})
        response_location = self._write_record(response)
        request_location = self._write_record(request)
        self._fh.flush()
        if self._fh.tell() >= self.max_file_size:
            self.close()
        return response_location, request_location

    def write_resource(self, url: str, body: bytes, content_type: str, *,
                       refers_to: str | None = None, concurrent_to: str | None = None,
                       fetched_at: datetime | None = None) -> RecordLocation:
        """A record of something nianbao made rather than received (a rendered DOM)."""
        if self._writer is None:
            self._open()
        headers = {"WARC-Date": (fetched_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")}
        if refers_to:
            headers["WARC-Refers-To"] = refers_to
        if concurrent_to:
            headers["WARC-Concurrent-To"] = concurrent_to
        record = self._writer.create_warc_record(
            url, "resource", payload=io.BytesIO(body), length=len(body),
            warc_content_type=content_type, warc_headers_dict=headers)
        location = self._write_record(record)
        self._fh.flush()
        return location

    def write_capture(self, capture: BrowserCapture) -> RecordLocation:
        """Every exchange of a browser capture, then its DOM; returns the DOM's location."""
        page_record = None
        for exchange in capture.exchanges:
            response, _ = self.write(exchange)
            if page_record is None and exchange.url == capture.page_url:
                page_record = response.record_id
        return self.write_resource(capture.page_url, capture.rendered_dom,
                                   "text/html; charset=utf-8", refers_to=page_record,
                                   concurrent_to=page_record, fetched_at=capture.fetched_at)

    def _write_record(self, record) -> RecordLocation:
        offset = self._fh.tell()
        self._writer.write_record(record)
        return RecordLocation(self.filename, offset, self._fh.tell() - offset,
                              record.rec_headers.get_header("WARC-Record-ID"),
                              record.rec_headers.get_header("WARC-Payload-Digest"))

    def close(self) -> None:
        """Finish the current file: flush it to disk and give it its final name."""
        if self._fh is None:
            return
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self.directory / (self.filename + OPEN_SUFFIX), self.directory / self.filename)
        self.files_written.append(self.filename)
        self._fh = self._writer = None
