"""A tiny in-memory web server: one ``SiteServer`` per demo portal.

Every page is rendered once, up front, into a dict; the handler only looks paths up, so the
server is fast and deterministic.  It speaks the bits of HTTP a crawler has to cope with on
real portals: gzip content-coding negotiated from Accept-Encoding, validators
(Last-Modified / ETag) with 304 answers, HEAD, and 404 for anything unknown.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit


@dataclass(frozen=True)
class Resource:
    """A prepared response: status, headers (without length/encoding) and body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    # For conditional requests; None on "dynamic" sites that send no validators.
    last_modified: str | None = None


def resource_key(target: str) -> str:
    """Canonical lookup key of a request target.

    The path is percent-decoded (clients differ in how they escape Chinese file names) and the
    query parameters are sorted (a JSP page does not care about their order).
    """
    parts = urlsplit(target)
    path = unquote(parts.path) or "/"
    if not parts.query:
        return path
    return f"{path}?{urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))}"


def accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding header allows gzip (RFC 9110 §12.5.3, q=0 means "not")."""
    if not header:
        return False
    star = None
    for item in header.split(","):
        coding, _, params = item.strip().partition(";")
        coding = coding.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding in ("gzip", "x-gzip"):
            return q > 0
        if coding == "*":
            star = q > 0
    return bool(star)


@dataclass
class Site:
    """What one server serves: resources by key, the 404 page and the site's HTTP habits."""

    resources: dict[str, Resource]
    not_found: Resource
    server_header: str
    gzip: bool = False  # answer Content-Encoding: gzip when the client allows it
    validators: bool = False  # send ETag, honour If-None-Match / If-Modified-Since
    request_log: list[tuple[str, str]] = field(default_factory=list)
    # Answers that depend on the request (a POST's form, a cookie): (method, target,
    # headers, body) -> a Resource, or None for the static one.
    handler: Callable[[str, str, Message, bytes], Resource | None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _gzipped: dict[str, bytes] = field(default_factory=dict, repr=False)

    def log(self, method: str, target: str) -> None:
        with self._lock:
            self.request_log.append((method, target))

    def gzipped(self, key: str, body: bytes) -> bytes:
        with self._lock:
            if key not in self._gzipped:
                # mtime=0 keeps the compressed bytes (and so the archive) reproducible.
                self._gzipped[key] = gzip.compress(body, mtime=0)
            return self._gzipped[key]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do; we always send a length
    timeout = 10  # drop idle keep-alive connections so worker threads do not pile up
    # Headers and body go out in two writes; with Nagle's algorithm the second waits for the
    # client's delayed ACK (40 ms on Linux) on every keep-alive response.
    disable_nagle_algorithm = True
    server: _SiteHTTPServer

    def version_string(self) -> str:
        return self.server.site.server_header

    def log_message(self, format: str, *args: object) -> None:
        pass  # tests and demos should stay quiet

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._respond(send_body=True, body=self.rfile.read(length) if length else b"")

    def _respond(self, *, send_body: bool, body: bytes = b"") -> None:
        site = self.server.site
        site.log(self.command, self.path)
        key = resource_key(self.path)
        resource = None
        if site.handler is not None:
            resource = site.handler(self.command, self.path, self.headers, body)
        if resource is None:
            resource = (site.resources.get(key, site.not_found) if self.command != "POST"
                        else site.not_found)
        body = resource.body
        headers = list(resource.headers)
        if site.validators and resource.status == 200:
            etag = f'W/"{hashlib.sha1(body).hexdigest()[:16]}"'
            headers.append(("ETag", etag))
            if resource.last_modified:
                headers.append(("Last-Modified", resource.last_modified))
            if self._not_modified(etag, resource.last_modified):
                self.send_response(304)
                for name, value in headers:
                    if name in ("ETag", "Last-Modified", "Cache-Control"):
                        self.send_header(name, value)
                self.end_headers()
                return
        if site.gzip:
            headers.append(("Vary", "Accept-Encoding"))
            if accepts_gzip(self.headers.get("Accept-Encoding")):
                body = site.gzipped(key if resource is not site.not_found else "", body)
                headers.append(("Content-Encoding", "gzip"))
        self.send_response(resource.status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _not_modified(self, etag: str, last_modified: str | None) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return any(t.strip() in (etag, etag[2:], "*") for t in inm.split(","))
        ims = self.headers.get("If-Modified-Since")
        if ims and last_modified:
            try:
                return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
        return False


# How often serve_forever checks for shutdown: small, so closing the demo is quick.
_POLL_SECONDS = 0.05


class _SiteHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: Site, port: int) -> None:
        self.site = site
        super().__init__(("127.0.0.1", port), _Handler)


class SiteServer:
    """Serve a ``Site`` on 127.0.0.1 from a daemon thread (port 0 = an ephemeral port).

    The port is bound in the constructor (so URLs are known before pages are rendered);
    ``start`` begins serving and ``close`` stops it.
    """

    def __init__(self, site: Site, port: int = 0) -> None:
        self._httpd = _SiteHTTPServer(site, port)
        self._thread: threading.Thread | None = None

    @property
    def site(self) -> Site:
        return self._httpd.site

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def host(self) -> str:
        """host:port, as it appears in URLs and in allowed_hosts."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name=f"demo-site-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()


def http_date(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> str:
    """An HTTP-date (RFC 9110) for a China Standard Time wall-clock moment."""
    cst = timezone(timedelta(hours=8))
    moment = datetime(year, month, day, hour, minute, tzinfo=cst).astimezone(UTC)
    return format_datetime(moment, usegmt=True)
