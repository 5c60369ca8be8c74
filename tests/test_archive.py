"""WARC files as written by the archive, read back with warcio and checked by `warcio check`."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

from archive import HttpExchange, WarcFileWriter, iter_records, read_record

BODY = "<html><body>年度报告 0 1 2</body></html>".encode()


def exchange(url: str = "http://127.0.0.1:8000/a.html", *, body: bytes = BODY,
             headers: list[tuple[str, str]] | None = None) -> HttpExchange:
    return HttpExchange(
        url=url, method="GET", request_target="/a.html",
        request_headers=[("Host", "127.0.0.1:8000"), ("User-Agent", "nianbao-test")],
        request_body=b"", status=200, reason="OK", protocol="HTTP/1.1",
        response_headers=headers or [("Content-Type", "text/html; charset=utf-8"),
                                     ("Content-Length", str(len(body)))],
        response_body=body, ip_address="127.0.0.1")


def warcio_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
                          capture_output=True, text=True)


def test_exchange_is_a_linked_request_response_pair(tmp_path):
    writer = WarcFileWriter(tmp_path, warcinfo={"software": "nianbao-test"})
    response, request = writer.write(exchange())
    assert (tmp_path / (response.warc_file + ".open")).exists()  # not final until closed
    writer.close()
    path = tmp_path / response.warc_file
    assert path.exists() and not (tmp_path / (response.warc_file + ".open")).exists()

    records = list(iter_records(path))
    assert [r.rec_type for r in records] == ["warcinfo", "response", "request"]
    resp, req = records[1], records[2]
    assert req.rec_headers.get_header("WARC-Concurrent-To") == resp.rec_headers.get_header(
        "WARC-Record-ID") == response.record_id
    assert resp.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
    assert resp.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
    assert request.record_id == req.rec_headers.get_header("WARC-Record-ID")

    headers, payload = read_record(tmp_path, response.warc_file, response.offset)
    assert payload == BODY and headers["WARC-Type"] == "response"
    check = warcio_check(path)
    assert check.returncode == 0, check.stdout + check.stderr


def test_content_encoded_body_is_stored_as_sent_and_replays_decoded(tmp_path):
    compressed = gzip.compress(BODY)
    writer = WarcFileWriter(tmp_path)
    response, _ = writer.write(exchange(body=compressed, headers=[
        ("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
        ("Content-Length", str(len(compressed)))]))
    writer.close()
    stored = [r.raw_stream.read() for r in iter_records(tmp_path / response.warc_file)
              if r.rec_type == "response"]
    assert stored == [compressed]  # the archive holds the bytes as they came over the wire
    _, payload = read_record(tmp_path, response.warc_file, response.offset)
    assert payload == BODY
    assert warcio_check(tmp_path / response.warc_file).returncode == 0


def test_files_rotate_at_the_size_limit(tmp_path):
    writer = WarcFileWriter(tmp_path, max_file_size=1)
    first, _ = writer.write(exchange())
    second, _ = writer.write(exchange("http://127.0.0.1:8000/b.html"))
    writer.close()
    assert first.warc_file != second.warc_file
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.warc_file,
                                                                  second.warc_file])
    for name in (first.warc_file, second.warc_file):
        assert [r.rec_type for r in iter_records(tmp_path / name)][0] == "warcinfo"


def test_browser_capture_keeps_the_dom_out_of_response_records(tmp_path):
    from archive import BrowserCapture

    page = exchange("http://127.0.0.1:8000/list.html")
    xhr = exchange("http://127.0.0.1:8000/api/list?page=1", body=b'{"rows": []}')
    writer = WarcFileWriter(tmp_path)
    dom = writer.write_capture(BrowserCapture(page.url, (page, xhr), b"<html>rendered</html>"))
    writer.close()
    records = list(iter_records(tmp_path / dom.warc_file))
    kinds = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in records]
    assert kinds == [("warcinfo", None), ("response", page.url), ("request", page.url),
                     ("response", xhr.url), ("request", xhr.url), ("resource", page.url)]
    page_id = records[1].rec_headers.get_header("WARC-Record-ID")
    assert records[-1].rec_headers.get_header("WARC-Refers-To") == page_id
    headers, payload = read_record(tmp_path, dom.warc_file, dom.offset)
    assert headers["WARC-Type"] == "resource" and payload == b"<html>rendered</html>"
    assert warcio_check(tmp_path / dom.warc_file).returncode == 0
