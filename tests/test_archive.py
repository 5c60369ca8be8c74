"""WARC files as written by the archive, read back with warcio and checked by `warcio check`."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

from nianbao.archive import HttpExchange, WarcFileWriter, iter_records, read_record

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


def test_a_non_ascii_header_is_stored_as_the_bytes_sent(tmp_path):
    # a GBK file name, as many Chinese portals send it, carried as latin-1 text
    sent = 'attachment; filename="年度报告.doc"'.encode("gbk")
    headers = [("Content-Type", "application/msword"), ("Content-Disposition",
               sent.decode("latin-1")), ("Content-Length", str(len(BODY)))]
    writer = WarcFileWriter(tmp_path)
    response, _ = writer.write(exchange(headers=headers))
    writer.close()
    raw = gzip.decompress((tmp_path / response.warc_file).read_bytes())
    assert b"\r\nContent-Disposition: " + sent + b"\r\n" in raw  # not %-encoded
    check = warcio_check(tmp_path / response.warc_file)
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
    assert sorted(p.name for p in tmp_path.glob("*.warc.gz*")) == sorted([
        first.warc_file, first.warc_file + ".cdxj", second.warc_file, second.warc_file + ".cdxj"])
    for name in (first.warc_file, second.warc_file):
        assert [r.rec_type for r in iter_records(tmp_path / name)][0] == "warcinfo"


def test_browser_capture_keeps_the_dom_out_of_response_records(tmp_path):
    from nianbao.archive import BrowserCapture

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


# -- HTTP semantics, digests, revisits, metadata, partial tails -----------------------------

def test_http_check_catches_a_gzip_header_over_a_decoded_body_that_warcio_check_passes(
        tmp_path):
    import io

    from nianbao.archive.check import check_file
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "bad.warc.gz"
    with open(path, "wb") as fh:  # bare warcio: nothing between the lie and the file
        writer = WARCWriter(fh, gzip=True)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"),
                                           ("Content-Encoding", "gzip"),
                                           ("Content-Length", str(len(BODY)))],
                                protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            "http://127.0.0.1:8000/a.html", "response", payload=io.BytesIO(BODY),
            length=len(BODY), http_headers=http))
    assert warcio_check(path).returncode == 0  # warcio check does not see it
    problems = check_file(path)
    assert any("Content-Encoding: gzip over a body that does not decode" in p.message
               for p in problems), problems


def test_headers_are_adjusted_to_describe_the_stored_body(tmp_path):
    from nianbao.archive.check import check_file, sha1_base32

    writer = WarcFileWriter(tmp_path)
    # a browser handed over a decoded body with the gzip header it received
    decoded, _ = writer.write(exchange(headers=[
        ("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Content-Length", "40")]))
    # a client de-chunked the body but kept the header
    dechunked, _ = writer.write(exchange("http://127.0.0.1:8000/b.html", headers=[
        ("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")]))
    # the body as it came over the wire, still chunked: stored de-chunked (the payload
    # digest is over the transfer-decoded body, and `warcio check` agrees)
    chunked_body = b"10\r\n" + BODY[:16] + b"\r\n" + (
        f"{len(BODY) - 16:x}".encode() + b"\r\n" + BODY[16:] + b"\r\n0\r\n\r\n")
    chunked, _ = writer.write(exchange("http://127.0.0.1:8000/c.html", body=chunked_body,
                                       headers=[("Content-Type", "text/html"),
                                                ("Transfer-Encoding", "chunked")]))
    writer.close()
    path = tmp_path / decoded.warc_file
    records = {r.rec_headers.get_header("WARC-Record-ID"): r for r in iter_records(path)}
    first = records[decoded.record_id]
    assert first.http_headers.get_header("Content-Encoding") is None
    assert first.http_headers.get_header("Content-Length") == str(len(BODY))
    assert "Content-Encoding: gzip" in first.rec_headers.get_header(
        "WARC-Nianbao-Transfer-Decoded")
    second = records[dechunked.record_id]
    assert second.http_headers.get_header("Transfer-Encoding") is None
    assert second.http_headers.get_header("Content-Length") == str(len(BODY))
    third = records[chunked.record_id]
    assert third.http_headers.get_header("Transfer-Encoding") is None
    assert third.http_headers.get_header("Content-Length") == str(len(BODY))
    assert third.raw_stream.read() == BODY
    assert chunked.payload_digest == sha1_base32(BODY)
    assert read_record(tmp_path, chunked.warc_file, chunked.offset)[1] == BODY
    assert check_file(path) == []
    assert warcio_check(path).returncode == 0


def test_revisits_only_against_records_of_closed_files(tmp_path):
    from nianbao.archive import load_payload

    writer = WarcFileWriter(tmp_path)
    first, _ = writer.write(exchange())
    again, _ = writer.write(exchange())  # same payload, but the first file is still open
    assert (first.record_type, again.record_type) == ("response", "response")
    writer.close()

    later = WarcFileWriter(tmp_path)
    revisit, _ = later.write(exchange())
    not_modified, _ = later.write(HttpExchange(
        url=exchange().url, method="GET", request_target="/a.html",
        request_headers=[("Host", "127.0.0.1:8000"), ("If-None-Match", '"x"')],
        request_body=b"", status=304, reason="Not Modified", protocol="HTTP/1.1",
        response_headers=[("ETag", '"x"')], response_body=b""))
    changed, _ = later.write(exchange(body=b"<html>changed</html>"))
    later.close()
    assert (revisit.record_type, not_modified.record_type, changed.record_type) == (
        "revisit", "revisit", "response")
    newest = again  # the newest committed response with this payload
    assert revisit.refers_to == not_modified.refers_to == newest.record_id
    headers, payload = read_record(tmp_path, revisit.warc_file, revisit.offset)
    assert payload == BODY
    assert headers["WARC-Profile"].endswith("/revisit/identical-payload-digest")
    assert headers["WARC-Truncated"] == "length"
    assert headers["WARC-Refers-To-Target-URI"] == exchange().url
    assert headers["WARC-Refers-To-Date"]
    stored = load_payload(tmp_path, not_modified.warc_file, not_modified.offset)
    assert stored.status == 304 and stored.decoded == BODY
    assert stored.headers["WARC-Profile"].endswith("/revisit/server-not-modified")
    # the 304's status line, no headers: replay tools then take the original's
    assert stored.http_headers == [] and stored.payload_http == exchange().response_headers
    from nianbao.archive.check import check_file

    for name in (first.warc_file, revisit.warc_file):
        assert check_file(tmp_path / name) == []
        assert warcio_check(tmp_path / name).returncode == 0


def test_metadata_record_refers_to_the_document(tmp_path):
    import json

    writer = WarcFileWriter(tmp_path)
    response, _ = writer.write(exchange())
    meta = writer.write_metadata(exchange().url, response.record_id,
                                 {"report_id": 7, "parser_version": "0.2.0"})
    writer.close()
    (record,) = [r for r in iter_records(tmp_path / meta.warc_file) if r.rec_type == "metadata"]
    assert record.rec_headers.get_header("WARC-Refers-To") == response.record_id
    assert json.loads(record.raw_stream.read())["report_id"] == 7
    assert warcio_check(tmp_path / meta.warc_file).returncode == 0


def test_cdxj_index_is_what_cdxj_indexer_writes(tmp_path):
    from nianbao.archive import BrowserCapture

    writer = WarcFileWriter(tmp_path, max_file_size=2000)
    for n in range(6):
        writer.write(exchange(f"http://127.0.0.1:8000/{n}.html", body=BODY * (n + 1)))
    writer.write_capture(BrowserCapture("http://127.0.0.1:8000/js.html",
                                        (exchange("http://127.0.0.1:8000/js.html"),),
                                        b"<html>dom</html>"))
    writer.close()
    assert len(writer.files_written) > 1
    from nianbao.archive.index import write_cdxj

    write_cdxj(tmp_path, tmp_path / "index.cdxj")  # streamed from index.sqlite
    ours = (tmp_path / "index.cdxj").read_text().splitlines()
    assert ours == sorted(ours)
    out = subprocess.run([str(Path(sys.executable).parent / "cdxj-indexer"),
                          *[str(tmp_path / f) for f in writer.files_written]],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert ours == sorted(out)
    kinds = [r.rec_type for f in writer.files_written for r in iter_records(tmp_path / f)]
    assert len(ours) == sum(k in ("response", "revisit", "resource") for k in kinds)


def test_a_partial_tail_is_skipped_and_reported(tmp_path):
    from nianbao.archive import load_payload, scan_file
    from nianbao.archive.check import check_file

    writer = WarcFileWriter(tmp_path)
    locations = [writer.write(exchange(f"http://127.0.0.1:8000/{n}.html"))[0]
                 for n in range(3)]
    writer._fh.flush()
    path = tmp_path / (locations[0].warc_file + ".open")  # as a killed crawl leaves it
    cut = locations[-1].offset + locations[-1].length // 2
    with open(path, "r+b") as fh:
        fh.truncate(cut)
    writer._fh = None  # the process is gone: nothing closes the file
    records = list(iter_records(path))
    assert [r.rec_type for r in records] == ["warcinfo", "response", "request", "response",
                                             "request"]
    scan = scan_file(path)
    assert scan.truncated and scan.records == 5 and scan.complete_to == locations[-1].offset
    assert [p.message.split(" (")[0] for p in check_file(path)] == [
        f"partial record after offset {locations[-1].offset}"]
    for location in locations[:2]:  # read back through the final name, as the db has it
        assert load_payload(tmp_path, location.warc_file, location.offset).decoded == BODY


def test_recovery_finishes_files_of_dead_writers_only(tmp_path, monkeypatch):
    import os
    import socket

    from nianbao.archive import scan_file
    from nianbao.archive.index import read_index
    from nianbao.archive.recovery import recover_open_files

    monkeypatch.setattr(socket, "gethostname", lambda: "ip-10-0-0-7.example")  # hyphens
    writer = WarcFileWriter(tmp_path)
    first, _ = writer.write(exchange("http://127.0.0.1:8000/a.html"))
    writer.write(exchange("http://127.0.0.1:8000/b.html"))
    writer._fh.flush()
    ours = tmp_path / (first.warc_file + ".open")
    assert "-ip-10-0-0-7.warc" in ours.name
    assert recover_open_files(tmp_path) == []  # this process is writing it: left alone
    assert ours.exists()

    # the same bytes, named for a process that is gone, with a record cut short
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    dead = tmp_path / ours.name.replace(f"-{os.getpid()}-", f"-{gone}-")
    size = ours.stat().st_size
    dead.write_bytes(ours.read_bytes()[:size - 40])
    writer._fh = None  # leave our own file as it is
    (recovered,) = recover_open_files(tmp_path)
    final = tmp_path / dead.name.removesuffix(".open")
    assert recovered.path == final and not dead.exists() and final.exists()
    # warcinfo, a's pair and b's response; b's request record was cut
    assert recovered.records == 4 and recovered.dropped_bytes > 0
    assert not scan_file(final).truncated
    assert warcio_check(final).returncode == 0
    assert sorted(e.url for e in read_index(tmp_path)) == [
        "http://127.0.0.1:8000/a.html", "http://127.0.0.1:8000/b.html"]
    assert ours.exists()  # still ours to close
