"""The wire download handler against a loopback server that answers byte for byte as
scripted: heads kept verbatim, every body framing, keep-alive, and the failures a crawl
must retry or record."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest
from nianbao.crawler.wire import WireDownloadHandler
from scrapy import Request
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from scrapy.utils.test import get_crawler

PAGE = "政府信息公开工作年度报告".encode()

SCRIPTS: dict[str, list[bytes]] = {
    # status line and header names exactly as some servers send them
    "/verbatim": [b"HTTP/1.1 200 Fine Thanks\r\ncontent-TYPE: text/html; charset=utf-8\r\n"
                  b"X-Powered-By: PHP/5.2\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
                  b"Content-Disposition: attachment; filename=" + "年报.doc".encode("gbk") +
                  b"\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(PAGE) + PAGE],
    "/chunked": [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                 b"5\r\n" + PAGE[:5] + b"\r\n",
                 b"%x;ext=1\r\n" % (len(PAGE) - 5) + PAGE[5:] + b"\r\n0\r\nX-Trailer: t\r\n\r\n"],
    "/continue": [b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"],
    "/to-close": [b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + PAGE, b"CLOSE"],
    "/cut": [b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + PAGE, b"CLOSE"],
    "/big": [b"HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\n\r\n"],
    "/slow": [b"SLEEP"],
    # bare LF line endings and a space before the colon, as some old servers send
    "/old-server": [b"HTTP/1.1 200 OK\nContent-Type : text/plain\nContent-Length: 2\n\nok"],
    "/304": [b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n"],
    "/close-after": [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                     b"CLOSE"],
}


class ScriptedServer:
    """A TCP server on 127.0.0.1 answering each request with its path's script; it keeps
    connections open (keep-alive) unless the script says CLOSE, and counts connections."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.heads: list[bytes] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                self.heads.append(head)
                path = head.split(b" ")[1].decode()
                for part in SCRIPTS.get(path, [b"HTTP/1.1 404 Not Found\r\n"
                                                b"Content-Length: 0\r\n\r\n"]):
                    if part == b"CLOSE":
                        return
                    if part == b"SLEEP":
                        threading.Event().wait(3)
                        return
                    conn.sendall(part)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server():
    s = ScriptedServer()
    yield s
    s.close()


def download(*requests: Request, **settings):
    handler = WireDownloadHandler(get_crawler(settings_dict=settings))

    async def run():
        try:
            out = []
            for request in requests:
                try:
                    out.append(await handler.download_request(request))
                except Exception as exc:  # noqa: BLE001 - the test looks at which
                    out.append(exc)
            return out
        finally:
            await handler.close()

    return asyncio.run(run())


def test_heads_are_kept_as_they_crossed_the_wire(server):
    request = Request(server.url("/verbatim"), headers={"User-Agent": "nianbao-test"})
    (response,) = download(request)
    assert response.status == 200 and response.body == PAGE
    wire = request.meta["wire"]
    assert (wire.protocol, wire.status, wire.reason) == ("HTTP/1.1", 200, "Fine Thanks")
    assert wire.response_headers == [
        ("content-TYPE", "text/html; charset=utf-8"), ("X-Powered-By", "PHP/5.2"),
        ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
        ("Content-Disposition", "attachment; filename=" + "年报.doc".encode("gbk").decode(
            "latin-1")),
        ("Content-Length", str(len(PAGE)))]
    assert response.headers.getlist("Set-Cookie") == [b"a=1", b"b=2"]
    # bytes as sent (Scrapy would have made UTF-8 of text)
    assert response.headers["Content-Disposition"] == (
        b"attachment; filename=" + "年报.doc".encode("gbk"))
    # the request head recorded is the one the server received
    sent = server.heads[0].decode().split("\r\n")
    assert sent[0] == "GET /verbatim HTTP/1.1"
    assert [f"{k}: {v}" for k, v in wire.request_headers] == sent[1:]
    assert wire.request_headers[0] == ("Host", f"127.0.0.1:{server.port}")
    assert str(response.ip_address) == "127.0.0.1"
    assert request.meta["download_latency"] >= 0


def test_chunked_interim_and_read_to_close_bodies(server):
    chunked, interim, to_close = download(Request(server.url("/chunked")),
                                          Request(server.url("/continue")),
                                          Request(server.url("/to-close")))
    assert chunked.body == PAGE  # de-chunked, the Transfer-Encoding header still there
    assert chunked.headers.get("Transfer-Encoding") == b"chunked"
    assert interim.status == 200 and interim.body == b"ok"
    assert to_close.body == PAGE and to_close.protocol == "HTTP/1.0"


def test_heads_strict_parsers_reject_are_read_and_kept(server):
    request = Request(server.url("/old-server"))
    (response,) = download(request)
    assert response.body == b"ok" and response.headers["Content-Type"] == b"text/plain"
    assert request.meta["wire"].response_headers[0] == ("Content-Type ", "text/plain")


def test_keep_alive_reuses_one_connection_until_the_server_closes_it(server):
    urls = ["/verbatim", "/chunked", "/304", "/verbatim", "/close-after", "/verbatim"]
    responses = download(*(Request(server.url(u)) for u in urls))
    assert [r.status for r in responses] == [200, 200, 304, 200, 200, 200]
    assert responses[2].body == b""  # a 304 has no body, and the connection goes on
    # one connection for the first five; the server closed it after /close-after
    assert server.connections == 2


def test_a_connection_the_server_dropped_while_idle_is_replaced(server):
    handler = WireDownloadHandler(get_crawler())

    async def run():
        first = await handler.download_request(Request(server.url("/verbatim")))
        # the server drops the idle connection (as one does after its keep-alive timeout)
        for connections in handler._idle.values():
            for connection in connections:
                connection.writer.transport.abort()
        await asyncio.sleep(0.05)
        second = await handler.download_request(Request(server.url("/verbatim")))
        await handler.close()
        return first, second

    first, second = asyncio.run(run())
    assert first.body == second.body == PAGE and server.connections == 2


def test_failures_are_the_errors_scrapy_retries_or_records(server):
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    refused_url = f"http://127.0.0.1:{free.getsockname()[1]}/"
    free.close()
    cut, big, slow, refused = download(
        Request(server.url("/cut")), Request(server.url("/big")),
        Request(server.url("/slow"), meta={"download_timeout": 0.5}), Request(refused_url),
        DOWNLOAD_MAXSIZE=1_000_000)
    assert isinstance(cut, ResponseDataLossError)
    assert isinstance(big, DownloadCancelledError) and "DOWNLOAD_MAXSIZE" in str(big)
    assert isinstance(slow, DownloadTimeoutError)
    assert isinstance(refused, DownloadConnectionRefusedError)


def test_a_post_sends_its_body_with_its_length(server):
    request = Request(server.url("/verbatim"), method="POST", body=b"startrecord=1&perpage=15")
    (response,) = download(request)
    assert response.status == 200
    sent = server.heads[0].decode()
    assert sent.startswith("POST /verbatim HTTP/1.1") and "Content-Length: 24" in sent


def self_signed(directory) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, made here (no network, no openssl CLI)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def test_https_with_a_certificate_scrapy_would_not_verify_either(tmp_path):
    import ssl
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed(tmp_path))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{httpd.server_address[1]}/report.html"
    try:
        (plain,) = download(Request(url))  # DOWNLOAD_VERIFY_CERTIFICATES off, as Scrapy's
        (verified,) = download(Request(url), DOWNLOAD_VERIFY_CERTIFICATES=True)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert plain.status == 200 and plain.body == PAGE
    assert isinstance(verified, Exception) and "CERTIFICATE_VERIFY_FAILED" in str(verified)


def test_a_crawl_through_a_proxy_goes_by_scrapys_handler_and_is_archived(tmp_path):
    """With HTTP_PROXY set, requests go to the proxy through Scrapy's own handler (ours
    speaks to origins only); the pages are still archived, with Scrapy's view of the heads."""
    import http.client
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import urlsplit

    from nianbao.archive import iter_records

    from .conftest import run_nianbao, write_portal_config
    from .pages import PageServer

    relayed: list[str] = []

    class Proxy(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            relayed.append(self.path)  # absolute-form: the proxy is asked for a URL
            target = urlsplit(self.path)
            upstream = http.client.HTTPConnection(target.netloc, timeout=10)
            upstream.request("GET", target.path or "/")
            answer = upstream.getresponse()
            body = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    listing = '<html><body><a href="/a.html">政府信息公开工作年度报告</a></body></html>'
    try:
        with PageServer({"/robots.txt": (200, "text/plain", b"User-agent: *\nAllow: /\n"),
                         "/": (200, listing.encode()), "/a.html": (200, PAGE)}) as site:
            config = write_portal_config(tmp_path / "portals.toml", "proxied",
                                         f"http://{site.host}/", site.host)
            result = run_nianbao(
                "crawl", "--config", str(config), "--data-dir", str(tmp_path),
                "--no-progress",
                env={"http_proxy": f"http://127.0.0.1:{proxy.server_address[1]}",
                     "no_proxy": ""})
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert result.returncode == 0, result.stderr
    assert f"http://{site.host}/a.html" in relayed
    responses = {r.rec_headers.get_header("WARC-Target-URI"): r
                 for path in (tmp_path / "warc").glob("*.warc.gz")
                 for r in iter_records(path) if r.rec_type == "response"}
    record = responses[f"http://{site.host}/a.html"]
    assert record.raw_stream.read() == PAGE
