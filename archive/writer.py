"""Writing HTTP exchanges to gzip'd WARC files with warcio.

Each file starts with a `warcinfo` record; each exchange is a `response` record (or a
`revisit`, when the same URL with the same payload is already committed to a closed file
of the archive) followed by its `request`, linked by WARC-Concurrent-To. Files are written
under a `.open` name and renamed when closed, so a finished name always means a finished
file; closing also writes the file's CDXJ index and adds its entries to ``index.sqlite``.

One digest algorithm throughout: SHA-1 in base32 (``sha1:…``), what pywb, Heritrix and
warcio use. The payload digest is over the transfer-decoded body, still content-encoded.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import zlib
from base64 import b32encode
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .index import ArchiveIndex
from .records import (
    IDENTICAL_PAYLOAD,
    SERVER_NOT_MODIFIED,
    WARC_VERSION,
    IndexEntry,
    index_mime,
    sha1_base32,
    warc_date,
    warc_timestamp,
)

OPEN_SUFFIX = ".open"
#: zlib level of the gzip members. warcio always uses 9; bench/archive.py measured level 6
#: at about twice the speed for files about 2% larger, so 6 is the default.
DEFAULT_GZIP_LEVEL = 6
#: WARC-Target-URI of the metadata record about a document (as Browsertrix's urn:text:).
METADATA_URI_PREFIX = "urn:nianbao:parse:"


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
    #: Headers the fetcher's transfer decoding made untrue, as received (for provenance;
    #: written as a WARC header, never into the HTTP head).
    removed_headers: tuple[tuple[str, str], ...] = ()


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
    record_type: str = "response"  # response | revisit | request | resource | metadata
    refers_to: str | None = None  # WARC-Refers-To: the record a revisit/resource/metadata names


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


class WireHeaders(StatusAndHeaders):
    """An HTTP head written back as the bytes it was read from.

    Header text is carried as latin-1 (which maps every byte to one character), so
    encoding it as latin-1 gives the original bytes back; warcio would instead
    percent-encode any value that is not ASCII — a GBK file name in a
    ``Content-Disposition``, common on Chinese portals — and the record would no longer
    hold what the server sent. Text from elsewhere (a browser's decoded headers) that is
    not latin-1 is left to warcio's encoding."""

    def compute_headers_buffer(self, header_filter=None) -> None:
        try:
            self.headers_buff = self.to_bytes(header_filter, encoding="latin-1")
        except UnicodeEncodeError:
            super().compute_headers_buffer(header_filter)


def describe_stored_body(exchange: HttpExchange) -> HttpExchange:
    """The exchange with HTTP headers that describe the body as it will be stored.

    A fetcher that undid the transfer coding (Scrapy over Twisted, a browser) or the
    content coding (a browser's decoded body) leaves headers that no longer hold: a
    `Transfer-Encoding: chunked` over a de-chunked body, a `Content-Encoding: gzip` over
    plain bytes. Those are dropped (kept as received in ``removed_headers``, written as
    the WARC header WARC-Nianbao-Transfer-Decoded) and `Content-Length` set to the stored
    length, so a replaying client reads the record right.
    """
    headers = list(exchange.response_headers)
    body = exchange.response_body
    removed: list[tuple[str, str]] = []
    te = (_header(headers, "transfer-encoding") or "").lower()
    if te:
        if "chunked" in te:
            from .check import dechunk

            try:
                # Still chunked: stored de-chunked, so the payload digest (over the
                # transfer-decoded body, as the WARC standard says) is also what
                # `warcio check` computes over the stored payload.
                body = dechunk(body)
            except ValueError:
                pass  # already de-chunked by the client
        removed += [(k, v) for k, v in headers if k.lower() == "transfer-encoding"]
        headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
    ce = (_header(headers, "content-encoding") or "").strip().lower()
    if ce in ("gzip", "x-gzip") and body and not body.startswith(b"\x1f\x8b"):
        removed += [(k, v) for k, v in headers if k.lower() == "content-encoding"]
        headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
    if not removed:
        return exchange
    if not _header(headers, "transfer-encoding"):
        cl = _header(headers, "content-length")
        if cl != str(len(body)):
            if cl is not None:
                removed += [(k, v) for k, v in headers if k.lower() == "content-length"]
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))


    return replace(exchange, response_headers=headers, response_body=body,
                   removed_headers=tuple(exchange.removed_headers) + tuple(removed))


class _Gzipping:
    """One gzip member per record (as warcio does), at a chosen compression level."""

    def __init__(self, out, level: int) -> None:
        self.out = out
        self.compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)

    def write(self, data: bytes) -> None:
        self.out.write(self.compressor.compress(data))

    def flush(self) -> None:
        self.out.write(self.compressor.flush())


class _Writer(WARCWriter):
    def __init__(self, out, level: int | None) -> None:
        super().__init__(out, gzip=False, warc_version=WARC_VERSION)
        self.level = level

    def write_record(self, record, params=None) -> None:
        # Built in memory, then written at once: a write that fails (a full disk) leaves
        # whole records behind it and one tail to cut, never a half-written buffer.
        buffer = io.BytesIO()
        out = _Gzipping(buffer, self.level) if self.level is not None else buffer
        self._write_warc_record(out, record)
        view = memoryview(buffer.getbuffer())
        while view:
            view = view[self.out.write(view):]


class ArchiveWriteError(Exception):
    """A record could not be written (a full or failing disk). What was written of it is
    cut off again; the writer takes no more records (see WarcFileWriter.failed)."""


class WarcFileWriter:
    def __init__(self, directory: Path | str, *, prefix: str = "nianbao",
                 max_file_size: int = 1_000_000_000, warcinfo: dict[str, str] | None = None,
                 gzip_level: int | None = DEFAULT_GZIP_LEVEL, dedup: bool = True,
                 index: ArchiveIndex | None = None) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_file_size = max_file_size
        self.warcinfo = dict(warcinfo or {})
        self.gzip_level = gzip_level
        self.dedup = dedup
        # Only records of closed files are in the index: a revisit always resolves.
        self.index = index if index is not None else ArchiveIndex.load(self.directory)
        self.stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        self.serial = 0
        self._fh: io.BufferedWriter | None = None
        self._writer: _Writer | None = None
        self._entries: list[IndexEntry] = []
        self._record_ids: dict[tuple[str, int], str] = {}
        self.filename: str | None = None
        self.files_written: list[str] = []
        self.counts: dict[str, int] = {}
        self.failed: str | None = None  # why the archive stopped taking records

    @contextmanager
    def _unit(self) -> Iterator[None]:
        """Records that belong together (an exchange, a capture) are all written or none:
        on an OSError the file is cut back to where the unit began and left under its
        .open name, which the next writer on the directory finishes (archive.recovery)."""
        if self.failed:
            raise ArchiveWriteError(self.failed)
        start = self._fh.tell() if self._fh is not None else None
        entries, counts = len(self._entries), dict(self.counts)
        try:
            yield
        except OSError as exc:
            self.failed = f"writing the WARC file failed: {exc.strerror or exc}"
            self._abandon(start)
            del self._entries[entries:]
            self.counts = counts
            raise ArchiveWriteError(self.failed) from exc

    def _abandon(self, start: int | None) -> None:
        if self._fh is None:
            return
        path = self.directory / (self.filename + OPEN_SUFFIX)
        try:
            if start is None:  # the file's own warcinfo record failed: no file at all
                self._fh.close()
                path.unlink()
            else:
                os.ftruncate(self._fh.fileno(), start)
                self._fh.close()
        except (OSError, ValueError):  # ValueError: the file was closed already
            pass  # archive.recovery cuts an unfinished tail on the next run
        self._fh = self._writer = None

    # -- files -------------------------------------------------------------------------

    def _open(self) -> None:
        host = socket.gethostname().split(".")[0]
        suffix = ".warc.gz" if self.gzip_level is not None else ".warc"
        while True:  # never reuse a name (two writers may start within one second)
            self.serial += 1
            self.filename = (f"{self.prefix}-{self.stamp}-{self.serial:05d}-{os.getpid()}-"
                             f"{host}{suffix}")
            if not (self.directory / self.filename).exists() and not (
                    self.directory / (self.filename + OPEN_SUFFIX)).exists():
                break
        # unbuffered: each record is one write of its own bytes (see _Writer.write_record)
        self._fh = open(self.directory / (self.filename + OPEN_SUFFIX), "wb",  # noqa: SIM115
                        buffering=0)
        self._writer = _Writer(self._fh, self.gzip_level)
        self._entries = []
        info = self._writer.create_warcinfo_record(self.filename, self.warcinfo)
        self._write_record(info)

    def _ensure_open(self) -> _Writer:
        if self._writer is None:
            self._open()
        return self._writer

    def _after_write(self) -> None:
        self._fh.flush()
        if self._fh.tell() >= self.max_file_size:
            self.close()

    def close(self) -> None:
        """Finish the current file: flush it, give it its final name, index it."""
        if self._fh is None or self.failed:
            return
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        final = self.directory / self.filename
        os.replace(self.directory / (self.filename + OPEN_SUFFIX), final)
        # committed now, for this and every other writer: later records may revisit it
        self.index.commit_file(final, self._entries)
        self.files_written.append(self.filename)
        self._fh = self._writer = None
        self._entries = []

    # -- records -----------------------------------------------------------------------

    def write(self, exchange: HttpExchange) -> tuple[RecordLocation, RecordLocation]:
        """Write the response (or revisit) and request records; returns their locations."""
        with self._unit():
            return self._write_exchange(exchange)

    def _write_exchange(self, exchange: HttpExchange) -> tuple[RecordLocation, RecordLocation]:
        exchange = describe_stored_body(exchange)
        writer = self._ensure_open()
        date = warc_date(exchange.fetched_at)
        body = exchange.response_body
        http = WireHeaders(f"{exchange.status} {exchange.reason}".strip(),
                           exchange.response_headers, protocol=exchange.protocol)
        extra = {"WARC-Date": date}
        if exchange.ip_address:
            extra["WARC-IP-Address"] = exchange.ip_address
        if exchange.removed_headers:
            extra["WARC-Nianbao-Transfer-Decoded"] = "; ".join(
                f"{k}: {v}" for k, v in exchange.removed_headers)
        payload_digest = sha1_base32(body)  # never chunked here: see describe_stored_body
        original = None
        profile = None
        if exchange.status == 304:
            original = self._not_modified_original(exchange.url)
            profile = SERVER_NOT_MODIFIED
        elif self.dedup:
            original = self.index.original(exchange.url, payload_digest)
            profile = IDENTICAL_PAYLOAD if original else None
        if original is not None:
            record = self._revisit(writer, exchange.url, http, extra, original, profile,
                                   payload_digest if profile == IDENTICAL_PAYLOAD else None)
        elif exchange.status == 304:
            # A 304 with nothing archived to refer to (the index was lost): still a
            # server-not-modified revisit, naming only the URL.
            extra.update({"WARC-Profile": SERVER_NOT_MODIFIED,
                          "WARC-Refers-To-Target-URI": exchange.url})
            record = writer.create_warc_record(exchange.url, "revisit", http_headers=http,
                                               warc_headers_dict=extra)
        else:
            http.compute_headers_buffer()
            block = hashlib.sha1(http.headers_buff)
            block.update(body)
            extra["WARC-Payload-Digest"] = payload_digest
            extra["WARC-Block-Digest"] = "sha1:" + b32encode(block.digest()).decode("ascii")
            record = writer.create_warc_record(
                exchange.url, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=http, warc_headers_dict=extra)
        response_id = record.rec_headers.get_header("WARC-Record-ID")
        # Scrapy's handler and ours both send HTTP/1.1, whatever the server answers in.
        request_headers = WireHeaders(
            f"{exchange.method} {exchange.request_target} HTTP/1.1",
            exchange.request_headers, is_http_request=True)
        request = writer.create_warc_record(
            exchange.url, "request", payload=io.BytesIO(exchange.request_body),
            length=len(exchange.request_body), http_headers=request_headers,
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id})
        indexed_status = None if record.http_headers is None else exchange.status
        response_location = self._write_record(record, status=indexed_status, http=http)
        request_location = self._write_record(request)
        self._after_write()
        return response_location, request_location

    def _not_modified_original(self, url: str) -> IndexEntry | None:
        """The response record a 304 confirms: the original of the newest capture."""
        latest = self.index.latest(url)
        if latest is None or latest.record_type == "response":
            return latest
        return self.index.original(url, latest.digest) if latest.digest else None

    def _revisit(self, writer: _Writer, url: str, http: StatusAndHeaders, extra: dict,
                 original: IndexEntry, profile: str, digest: str | None):
        refers_id, refers_date = self.original_ids(original)
        extra = {**extra, "WARC-Refers-To": refers_id, "WARC-Truncated": "length"}
        if profile == SERVER_NOT_MODIFIED:
            del extra["WARC-Truncated"]  # nothing was left out: a 304 has no body
            # An empty block: replay tools (pywb, wabac.js) take a revisit's own HTTP
            # status and headers when it has any, and would replay the page as an empty
            # "304 Not Modified"; without them they serve the original's headers and
            # payload, which is what the server confirmed. The profile says the server
            # answered 304; the validators it answered are in the request record.
            http = None
        record = writer.create_revisit_record(url, digest or original.digest, original.url,
                                              refers_date, http_headers=http,
                                              warc_headers_dict=extra)
        # The payload digest of a server-not-modified revisit is the original's: the
        # server said the payload is unchanged. pywb finds the original by it.
        record.rec_headers.replace_header("WARC-Profile", profile)
        return record

    def original_ids(self, entry: IndexEntry) -> tuple[str, str]:
        """WARC-Record-ID and WARC-Date of an indexed record (read once, then cached)."""
        key = (entry.filename, entry.offset)
        if key not in self._record_ids:
            from .reader import read_headers

            headers = read_headers(self.directory, entry.filename, entry.offset)
            self._record_ids[key] = (headers["WARC-Record-ID"], headers["WARC-Date"])
        return self._record_ids[key]

    def write_resource(self, url: str, body: bytes, content_type: str, *,
                       refers_to: str | None = None, concurrent_to: str | None = None,
                       fetched_at: datetime | None = None,
                       extra_headers: dict[str, str] | None = None) -> RecordLocation:
        """A record of something nianbao made or read rather than received (a rendered
        DOM, a local file: ``extra_headers`` then say where it came from)."""
        with self._unit():
            return self._write_resource(url, body, content_type, refers_to=refers_to,
                                        concurrent_to=concurrent_to, fetched_at=fetched_at,
                                        extra_headers=extra_headers)

    def _write_resource(self, url: str, body: bytes, content_type: str, *,
                        refers_to: str | None, concurrent_to: str | None,
                        fetched_at: datetime | None,
                        extra_headers: dict[str, str] | None = None) -> RecordLocation:
        writer = self._ensure_open()
        headers = {"WARC-Date": warc_date(fetched_at), **(extra_headers or {})}
        if refers_to:
            headers["WARC-Refers-To"] = refers_to
        if concurrent_to:
            headers["WARC-Concurrent-To"] = concurrent_to
        record = writer.create_warc_record(
            url, "resource", payload=io.BytesIO(body), length=len(body),
            warc_content_type=content_type, warc_headers_dict=headers)
        location = self._write_record(record)
        self._after_write()
        return location

    def write_metadata(self, url: str, refers_to: str | None, fields: dict, *,
                       when: datetime | None = None) -> RecordLocation:
        """A ``metadata`` record about a document record: what was parsed from it, or why
        it could not be (JSON)."""
        with self._unit():
            return self._write_metadata(url, refers_to, fields, when)

    def _write_metadata(self, url: str, refers_to: str | None, fields: dict,
                        when: datetime | None) -> RecordLocation:
        writer = self._ensure_open()
        headers = {"WARC-Date": warc_date(when)}
        if refers_to:
            headers["WARC-Refers-To"] = refers_to
            headers["WARC-Concurrent-To"] = refers_to
        body = json.dumps({"url": url, **fields}, ensure_ascii=False,
                          sort_keys=True).encode("utf-8")
        # Not the document's own URL: indexers (cdxj-indexer, so `wacz create`) index
        # metadata records, and replay must never serve this JSON for the document.
        record = writer.create_warc_record(METADATA_URI_PREFIX + url, "metadata",
                                           payload=io.BytesIO(body), length=len(body),
                                           warc_content_type="application/json",
                                           warc_headers_dict=headers)
        location = self._write_record(record)
        self._after_write()
        return location

    def write_capture(self, capture: BrowserCapture) -> RecordLocation:
        """Every exchange of a browser capture, then its DOM; returns the DOM's location."""
        return self.write_capture_records(capture)[-1]

    def write_capture_records(self, capture: BrowserCapture
                              ) -> list[tuple[HttpExchange, RecordLocation, RecordLocation]
                                        | RecordLocation]:
        """Like write_capture, and returns every location: (exchange, response, request)
        per exchange, then the DOM's location."""
        out: list = []
        page_record = None
        with self._unit():
            for exchange in capture.exchanges:
                response, request = self._write_exchange(exchange)
                out.append((exchange, response, request))
                if page_record is None and exchange.url == capture.page_url:
                    page_record = response.record_id
            out.append(self._write_resource(capture.page_url, capture.rendered_dom,
                                            "text/html; charset=utf-8", refers_to=page_record,
                                            concurrent_to=page_record,
                                            fetched_at=capture.fetched_at))
        return out

    def _write_record(self, record, *, status: int | None = None,
                      http: StatusAndHeaders | None = None) -> RecordLocation:
        offset = self._fh.tell()
        self._writer.write_record(record)
        head = record.rec_headers
        rec_type = record.rec_type
        location = RecordLocation(self.filename, offset, self._fh.tell() - offset,
                                  head.get_header("WARC-Record-ID"),
                                  head.get_header("WARC-Payload-Digest"), rec_type,
                                  head.get_header("WARC-Refers-To"))
        self.counts[rec_type] = self.counts.get(rec_type, 0) + 1
        if rec_type in ("response", "revisit", "resource"):
            content_type = (record.content_type if rec_type == "resource"
                            else http.get_header("Content-Type") if http else None)
            self._entries.append(IndexEntry(
                head.get_header("WARC-Target-URI"), warc_timestamp(head.get_header("WARC-Date")),
                self.filename, offset, location.length,
                head.get_header("WARC-Payload-Digest"), index_mime(rec_type, content_type),
                str(status) if status is not None else None, rec_type))
        return location
