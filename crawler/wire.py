"""An HTTP/1.1 download handler on asyncio that keeps what crossed the wire.

Scrapy's own handler (Twisted's HTTP client) hands a response on with its header names
re-cased (``content-type`` becomes ``Content-Type``), its reason phrase dropped and its
connection headers gone. The archive must store the exchange as it was sent, so this
handler speaks HTTP/1.1 itself, on the asyncio event loop Scrapy already runs, and puts the
request head it wrote and the response head it read, verbatim, in ``request.meta["wire"]``
(a :class:`WireHead`) for the archive middleware.

What it does: plain and TLS connections (certificates verified only when
``DOWNLOAD_VERIFY_CERTIFICATES`` is on, as Scrapy's handler), keep-alive with a pool of
idle connections per host, ``Content-Length``, chunked and read-to-close bodies,
interim ``1xx`` responses skipped, ``DOWNLOAD_TIMEOUT``, ``DOWNLOAD_MAXSIZE`` and
``DOWNLOAD_WARNSIZE``, ``download_latency`` for AutoThrottle, the peer's IP address. A
request through a proxy (``meta["proxy"]``) goes to Scrapy's handler instead; the
archive then stores the headers as Scrapy reports them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from nianbao.archive.records import request_target
from scrapy import Request
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from .scope import Scope

logger = logging.getLogger(__name__)

MAX_HEAD = 256 * 1024  # a response head longer than this is not HTTP we can trust
MAX_IDLE_PER_HOST = 4
NO_BODY_STATUSES = {204, 304}


@dataclass(frozen=True)
class WireHead:
    """The heads of one exchange as they crossed the wire (names in their own case,
    in order, repeated headers kept)."""

    request_headers: list[tuple[str, str]]
    protocol: str  # HTTP/1.1, HTTP/1.0
    status: int
    reason: str
    response_headers: list[tuple[str, str]]


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        peer = writer.get_extra_info("peername")
        try:
            self.ip_address = ipaddress.ip_address(peer[0]) if peer else None
        except ValueError:
            self.ip_address = None

    def close(self) -> None:
        self.writer.close()


class WireDownloadHandler(BaseDownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self._maxsize = settings.getint("DOWNLOAD_MAXSIZE")
        self._warnsize = settings.getint("DOWNLOAD_WARNSIZE")
        self._timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        self._verify = settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES")
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None
        self._proxy_handler: BaseDownloadHandler | None = None
        self._scope = Scope.from_settings(settings)

    async def download_request(self, request: Request) -> Response:
        if (reason := self.crawler.stats.get_value("nianbao/interrupted_reason")):
            # the crawl is stopping for a fault: what waited in the queue is not fetched
            # (archive.middleware.interrupt_crawl); the next run fetches it
            raise CrawlStopping(f"{request.url}: not fetched, the crawl is stopping: {reason}")
        if request.meta.get("proxy"):
            return await self._through_proxy(request)
        timeout = request.meta.get("download_timeout", self._timeout)
        try:
            return await asyncio.wait_for(self._download(request), timeout or None)
        except TimeoutError:
            raise DownloadTimeoutError(
                f"Getting {request.url} took longer than {timeout} seconds.") from None

    async def close(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
        if self._proxy_handler is not None:
            await self._proxy_handler.close()

    # -- one exchange ------------------------------------------------------------------

    async def _download(self, request: Request) -> Response:
        parts = urlsplit(request.url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        origin = (scheme, host, port)
        head, sent_headers = _request_head(request, parts)
        start = time.monotonic()
        # A pooled connection the server has since closed fails at once and without a
        # byte of response: then, and only then, the request is sent again on a new one.
        connection = self._pooled(origin)
        if connection is not None:
            try:
                return await self._exchange(connection, origin, request, head, sent_headers,
                                            start)
            except _StaleConnection:
                pass
        connection = await self._connect(origin, request)
        try:
            return await self._exchange(connection, origin, request, head, sent_headers,
                                        start)
        except _StaleConnection as exc:
            raise ResponseDataLossError(
                f"{request.url}: the connection closed before a response") from exc

    async def _exchange(self, connection: _Connection, origin: tuple[str, str, int],
                        request: Request, head: bytes, sent_headers: list[tuple[str, str]],
                        start: float) -> Response:
        reusable = answered = False
        try:
            connection.writer.write(head + (request.body or b""))
            await connection.writer.drain()
            protocol, status, reason, headers = await _read_head(connection.reader)
            answered = True
            request.meta["download_latency"] = time.monotonic() - start
            body, reusable = await self._read_body(connection.reader, request, status,
                                                   protocol, headers)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            if answered or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                raise ResponseDataLossError(f"{request.url}: {exc}") from exc
            raise _StaleConnection() from exc
        finally:
            if reusable:
                self._release(origin, connection)
            else:
                connection.close()
        request.meta["wire"] = WireHead(sent_headers, protocol, status, reason, headers)
        scrapy_headers = Headers()
        for name, value in headers:
            # as bytes: Scrapy would encode text as UTF-8, and a GBK file name in a
            # Content-Disposition must reach the spider as the server sent it
            scrapy_headers.appendlist(name.strip().encode("latin-1"),
                                      value.encode("latin-1"))
        cls = responsetypes.from_args(headers=scrapy_headers, url=request.url, body=body)
        return cls(url=request.url, status=status, headers=scrapy_headers, body=body,
                   request=request, ip_address=connection.ip_address, protocol=protocol)

    async def _read_body(self, reader: asyncio.StreamReader, request: Request, status: int,
                         protocol: str, headers: list[tuple[str, str]]) -> tuple[bytes, bool]:
        """The body (de-chunked, content-encoding untouched) and whether the connection
        can carry another request."""
        fields = {}
        for name, value in headers:
            fields.setdefault(name.strip().lower(), value)
        connection = fields.get("connection", "").lower()
        keep_alive = ("close" not in connection if protocol == "HTTP/1.1"
                      else "keep-alive" in connection)
        if request.method == "HEAD" or status in NO_BODY_STATUSES or 100 <= status < 200:
            return b"", keep_alive
        maxsize = request.meta.get("download_maxsize", self._maxsize)
        warnsize = request.meta.get("download_warnsize", self._warnsize)
        if "chunked" in fields.get("transfer-encoding", "").lower():
            body = await _read_chunked(reader, request.url, maxsize)
        elif "content-length" in fields:
            try:
                length = int(fields["content-length"])
            except ValueError:
                raise DownloadFailedError(
                    f"{request.url}: Content-Length {fields['content-length']!r}") from None
            _check_size(request.url, length, maxsize)
            body = await reader.readexactly(length)
        else:
            body = await _read_to_close(reader, request.url, maxsize)
            keep_alive = False
        if warnsize and len(body) > warnsize:
            logger.warning("Received (%d) bytes larger than download warn size (%d) in "
                           "request %s.", len(body), warnsize, request)
        return body, keep_alive

    # -- connections -------------------------------------------------------------------

    def _pooled(self, origin: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if not connection.reader.at_eof() and not connection.writer.is_closing():
                return connection
            connection.close()
        return None

    def _release(self, origin: tuple[str, str, int], connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if len(idle) < MAX_IDLE_PER_HOST:
            idle.append(connection)
        else:
            connection.close()

    async def _connect(self, origin: tuple[str, str, int], request: Request) -> _Connection:
        scheme, host, port = origin
        url = request.url
        tls = self._tls_context() if scheme == "https" else None
        try:
            # Scope (crawler.scope): the name is resolved here and the connection made to
            # an address that was checked, so a name cannot lead to an internal address.
            targets: list[str] = [host]
            if self._scope.allowed:
                targets = [str(a) for a in await self._scope.addresses(
                    request.meta.get("portal"), host, port)]
            if not targets:
                raise socket.gaierror(f"no address for {host}")
            for number, target in enumerate(targets, 1):
                try:
                    reader, writer = await asyncio.open_connection(
                        target, port, ssl=tls, server_hostname=host if tls else None,
                        limit=MAX_HEAD)
                    break
                except OSError:
                    if number == len(targets):
                        raise
        except ConnectionRefusedError as exc:
            raise DownloadConnectionRefusedError(f"{url}: {exc}") from exc
        except socket.gaierror as exc:
            raise CannotResolveHostError(f"{url}: {exc}") from exc
        except OSError as exc:  # unreachable, reset, a TLS handshake that failed
            raise DownloadFailedError(f"{url}: {exc}") from exc
        return _Connection(reader, writer)

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            context = ssl.create_default_context()
            if not self._verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            self._tls = context
        return self._tls

    async def _through_proxy(self, request: Request) -> Response:
        if self._proxy_handler is None:
            from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

            self._proxy_handler = HTTP11DownloadHandler.from_crawler(self.crawler)
        return await self._proxy_handler.download_request(request)


class CrawlStopping(IgnoreRequest):
    """A request not sent because the crawl is being stopped for a fault."""


class _StaleConnection(Exception):
    """The connection failed before any byte of the response arrived."""


def _request_head(request: Request, parts) -> tuple[bytes, list[tuple[str, str]]]:
    target = request_target(request.url)
    headers: list[tuple[str, str]] = [("Host", parts.netloc)]
    for name, values in request.headers.items():
        text = name.decode("latin-1")
        if text.lower() in ("host", "content-length", "connection", "transfer-encoding"):
            continue
        headers.extend((text, value.decode("latin-1")) for value in values)
    if request.body or request.method in ("POST", "PUT", "PATCH"):
        headers.append(("Content-Length", str(len(request.body or b""))))
    lines = [f"{request.method} {target} HTTP/1.1"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), headers


async def _read_line(reader: asyncio.StreamReader) -> str:
    """One line without its ending: CRLF, or a bare LF as old servers send (browsers and
    Twisted accept both)."""
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError as exc:
        raise DownloadFailedError(f"a response line over {MAX_HEAD} bytes") from exc
    return line.rstrip(b"\r\n").decode("latin-1")


async def _read_head(reader: asyncio.StreamReader
                     ) -> tuple[str, int, str, list[tuple[str, str]]]:
    """The status line's parts and the header lines: names as sent (a stray space before
    the colon included, which strict parsers such as h11 reject and portals do send),
    values without the surrounding whitespace."""
    while True:
        first = await _read_line(reader)
        while not first:  # a stray line ending left after the previous response
            first = await _read_line(reader)
        status_line = first.split(" ", 2)
        if len(status_line) < 2 or not status_line[0].startswith("HTTP/"):
            raise DownloadFailedError(f"not an HTTP response: {' '.join(status_line)[:80]!r}")
        try:
            status = int(status_line[1])
        except ValueError:
            raise DownloadFailedError(f"bad status line: {' '.join(status_line)[:80]!r}"
                                      ) from None
        headers: list[tuple[str, str]] = []
        size = 0
        while line := await _read_line(reader):
            size += len(line)
            if size > MAX_HEAD:
                raise DownloadFailedError(f"a response head over {MAX_HEAD} bytes")
            if line[0] in " \t" and headers:  # an obsolete folded continuation line
                name, value = headers[-1]
                headers[-1] = (name, f"{value} {line.strip()}")
                continue
            name, sep, value = line.partition(":")
            if sep:
                headers.append((name, value.strip()))
        if 100 <= status < 200 and status != 101:
            continue  # an interim response (100 Continue, 103 Early Hints)
        reason = status_line[2] if len(status_line) > 2 else ""
        return status_line[0], status, reason, headers


async def _read_chunked(reader: asyncio.StreamReader, url: str, maxsize: int) -> bytes:
    body = bytearray()
    while True:
        size_line = await _read_line(reader)
        try:
            size = int(size_line.split(";", 1)[0].strip(), 16)
        except ValueError:
            raise ResponseDataLossError(f"{url}: a bad chunk size {size_line[:40]!r}") from None
        if size < 0:
            raise ResponseDataLossError(f"{url}: a bad chunk size {size_line[:40]!r}")
        if size == 0:
            while await _read_line(reader):
                pass  # trailer fields: not kept (the archive stores the body de-chunked)
            return bytes(body)
        _check_size(url, len(body) + size, maxsize)
        body += await reader.readexactly(size)
        # The chunk's own line ending, and nothing before it: a chunk longer than its size
        # line is a framing error, never a shorter body to archive as a 200.
        if await _read_line(reader):
            raise ResponseDataLossError(
                f"{url}: chunked framing error: a chunk longer than its size line "
                f"({size} bytes)")


async def _read_to_close(reader: asyncio.StreamReader, url: str, maxsize: int) -> bytes:
    body = bytearray()
    while chunk := await reader.read(65536):
        body += chunk
        _check_size(url, len(body), maxsize)
    return bytes(body)


def _check_size(url: str, size: int, maxsize: int) -> None:
    if maxsize and size > maxsize:
        raise DownloadCancelledError(
            f"{url}: {size} bytes, over the download limit of {maxsize} (DOWNLOAD_MAXSIZE)")
