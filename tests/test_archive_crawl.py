"""The archive as real crawls write it: the demo portals (and a server that answers
chunked and gzip'd) crawled twice by `nianbao crawl`, then checked with `warcio check`,
nianbao's HTTP check, cdxj-indexer, pywb, `wacz validate`, replay and reparse."""

from __future__ import annotations

import gzip
import http.client
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from nianbao.archive import iter_records, load_payload, read_record
from nianbao.archive.check import check_file
from nianbao.archive.index import read_index

from .conftest import ROOT, run_nianbao

CHUNKED_PAGE = ("<html><head><title>分块传输</title></head><body>"
                + "政府信息公开工作年度报告 " * 200 + "</body></html>").encode()


class ChunkedHandler(BaseHTTPRequestHandler):
    """A portal whose pages come chunked and gzip'd, as many CMSs send them."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path != "/":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = gzip.compress(CHUNKED_PAGE, mtime=0)
        # A reason phrase of its own and header names in the case some servers use: the
        # archive must keep both as sent.
        self.send_response(200, "Okay")
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("X-POWERED-by", "PHP/5.2.17")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(body), 500):
            chunk = body[start:start + 500]
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args) -> None:
        pass


@dataclass
class Recrawl:
    data_dir: Path
    warc_dir: Path
    first_files: list[Path]
    second_files: list[Path]
    third_files: list[Path]
    report_urls: list[str]
    chunked_url: str
    first_export: list[dict]
    second_export: list[dict]
    third_export: list[dict]
    rows: list[dict]  # rows per table after each crawl


def row_counts(db_path: Path) -> dict[str, int]:
    with sqlite3.connect(db_path) as db:
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("report", "report_value", "check_failure", "fetch")}


def files_of(warc_dir: Path) -> set[Path]:
    return set(warc_dir.glob("*.warc.gz"))


@pytest.fixture(scope="module")
def recrawl(tmp_path_factory) -> Recrawl:
    from nianbao.demo import DemoPortals

    data_dir = tmp_path_factory.mktemp("archive-recrawl")
    warc_dir = data_dir / "warc"
    server = ThreadingHTTPServer(("127.0.0.1", 0), ChunkedHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    chunked_host = f"127.0.0.1:{server.server_address[1]}"
    try:
        with DemoPortals() as demo:
            config = data_dir / "portals.toml"
            config.write_text(demo.config_toml() + "\n".join([
                "[[portal]]", 'name = "chunked"', f'start_urls = ["http://{chunked_host}/"]',
                f'allowed_hosts = ["{chunked_host}"]', 'render = "never"',
                "requests_per_second = 20.0", ""]), encoding="utf-8")
            runs, exports, before, rows = [], [], set(), []
            for _ in range(3):
                result = run_nianbao("crawl", "--config", str(config), "--data-dir",
                                     str(data_dir), "--no-progress")
                assert result.returncode == 0, result.stderr
                out = run_nianbao("export", "--data-dir", str(data_dir))
                exports.append([json.loads(line) for line in out.stdout.splitlines()])
                rows.append(row_counts(data_dir / "nianbao.sqlite"))
                runs.append(sorted(files_of(warc_dir) - before))
                before = files_of(warc_dir)
            report_urls = [r.document_url for r in demo.reports]
    finally:
        server.shutdown()
        server.server_close()
    return Recrawl(data_dir, warc_dir, runs[0], runs[1], runs[2], report_urls,
                   f"http://{chunked_host}/", *exports, rows)


def all_records(paths):
    return [(path, r) for path in paths for r in iter_records(path)]


def test_every_file_passes_warcio_check_and_the_http_check(recrawl):
    files = sorted(files_of(recrawl.warc_dir))
    assert len(files) >= 2
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v",
                            *map(str, files)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-3000:]
    for path in files:
        assert check_file(path) == [], path
    responses = [r for _, r in all_records(recrawl.first_files) if r.rec_type == "response"]
    gzipped = [r for r in responses
               if r.http_headers.get_header("Content-Encoding") == "gzip"]
    assert gzipped and all(r.raw_stream.read(2) == b"\x1f\x8b" for r in gzipped)
    infos = [r for _, r in all_records(files) if r.rec_type == "warcinfo"]
    assert len(infos) == len(files)
    fields = infos[0].raw_stream.read().decode()
    for name in ("software: nianbao/", "operator: ", "contact: ", "crawl-run: ", "portals: "):
        assert name in fields


def test_a_chunked_gzip_response_is_stored_as_sent_and_replays(recrawl):
    (record,) = [r for _, r in all_records(recrawl.first_files)
                 if r.rec_type == "response"
                 and r.rec_headers.get_header("WARC-Target-URI") == recrawl.chunked_url]
    stored = record.raw_stream.read()
    assert stored == gzip.compress(CHUNKED_PAGE, mtime=0)  # de-chunked, still gzip'd
    assert record.http_headers.get_header("Transfer-Encoding") is None
    assert record.http_headers.get_header("Content-Encoding") == "gzip"
    # the head as sent: status line, names in their own case and order; the dropped
    # Transfer-Encoding is named in a WARC header, Content-Length describes what is stored
    assert record.http_headers.statusline == "200 Okay"
    names = [name for name, _ in record.http_headers.headers]
    assert names[:6] == ["Server", "Date", "content-type", "X-POWERED-by", "Content-Encoding",
                         "Content-Length"], names
    assert "Transfer-Encoding: chunked" in record.rec_headers.get_header(
        "WARC-Nianbao-Transfer-Decoded")
    (request,) = [r for _, r in all_records(recrawl.first_files)
                  if r.rec_type == "request"
                  and r.rec_headers.get_header("WARC-Target-URI") == recrawl.chunked_url]
    request_head = [name for name, _ in request.http_headers.headers]
    assert request_head[0] == "Host" and "User-Agent" in request_head
    assert (request.http_headers.protocol, request.http_headers.statusline) == (
        "GET", "/ HTTP/1.1")
    entry = next(e for e in read_index(recrawl.warc_dir)
                 if e.url == recrawl.chunked_url and e.record_type == "response")
    assert read_record(recrawl.warc_dir, entry.filename, entry.offset)[1] == CHUNKED_PAGE


def test_a_recrawl_of_unchanged_portals_adds_no_report_version_or_value_row(recrawl):
    first, second, third = recrawl.rows
    assert first["report"] == len(recrawl.report_urls)  # one version per document
    for later in (second, third):
        assert {t: later[t] for t in ("report", "report_value", "check_failure")} == {
            t: first[t] for t in ("report", "report_value", "check_failure")}
        assert later["fetch"] > first["fetch"]  # each fetch is still recorded
    # the payloads were seen again: their versions say when
    with sqlite3.connect(recrawl.data_dir / "nianbao.sqlite") as db:
        seen = db.execute("SELECT MIN(last_seen_at > created_at) FROM report").fetchone()[0]
    assert seen == 1
    assert recrawl.first_export == recrawl.second_export or [
        {k: v for k, v in r.items() if k != "source"} for r in recrawl.first_export] == [
        {k: v for k, v in r.items() if k != "source"} for r in recrawl.second_export]


def test_a_recrawl_of_unchanged_portals_writes_revisits_only(recrawl):
    first = all_records(recrawl.first_files)
    second = all_records(recrawl.second_files)
    kinds = Counter(r.rec_type for _, r in second)
    assert kinds["response"] == 0 and kinds["revisit"] > 0
    # every response is revisited, except the browser's loads of the script-built lists
    # whose list API the first crawl learned: the re-crawl asks those APIs without a browser
    uri = "WARC-Target-URI"
    missing = (Counter(r.rec_headers.get_header(uri) for _, r in first if r.rec_type == "response")
               - Counter(r.rec_headers.get_header(uri) for _, r in second
                         if r.rec_type == "revisit"))
    import sqlite3

    db = sqlite3.connect(recrawl.data_dir / "nianbao.sqlite")
    learned = {u for (u,) in db.execute("SELECT page_url FROM learned_api")}
    db.close()
    assert missing and set(missing) <= learned, (missing, learned)
    first_ids = {r.rec_headers.get_header("WARC-Record-ID") for _, r in first}
    profiles = Counter()
    for _path, record in second:
        if record.rec_type != "revisit":
            continue
        head = record.rec_headers
        profiles[head.get_header("WARC-Profile").rsplit("/", 1)[-1]] += 1
        assert head.get_header("WARC-Refers-To") in first_ids  # committed, closed file
        assert head.get_header("WARC-Refers-To-Target-URI") == head.get_header(
            "WARC-Target-URI")
        assert head.get_header("WARC-Refers-To-Date")
        if profiles and head.get_header("WARC-Profile").endswith("identical-payload-digest"):
            assert head.get_header("WARC-Truncated") == "length"
    # demo-tianjin sends validators: conditional requests, 304s; demo-multi does not
    assert profiles["server-not-modified"] > 0 and profiles["identical-payload-digest"] > 0
    conditional = [r for _, r in second if r.rec_type == "request"
                   and r.http_headers.get_header("If-None-Match")]
    assert len(conditional) == profiles["server-not-modified"]
    # a 304 revisit has no headers of its own: the third crawl takes the validators from
    # the original it confirmed, and is answered 304 again
    third = Counter(r.rec_headers.get_header("WARC-Profile").rsplit("/", 1)[-1]
                    for _, r in all_records(recrawl.third_files) if r.rec_type == "revisit")
    assert third == profiles
    # the second crawl stored no payload byte again
    first_size = sum(p.stat().st_size for p in recrawl.first_files)
    second_size = sum(p.stat().st_size for p in recrawl.second_files)
    payload = sum(len(r.raw_stream.read()) for _, r in second if r.rec_type == "revisit")
    assert payload == 0
    print(f"\nre-crawl grew the archive by {second_size} bytes, "
          f"{100 * second_size / first_size:.1f}% of the first crawl ({first_size} bytes)")
    # and parsed the same reports from the archived payloads
    assert sorted((r["url"], json.dumps(r["values"], sort_keys=True))
                  for r in recrawl.second_export) == sorted(
        (r["url"], json.dumps(r["values"], sort_keys=True)) for r in recrawl.first_export)


def test_cdxj_index_holds_every_response_revisit_and_resource_record(recrawl):
    # the crawl closed its index: SQLite's write-ahead log and shared memory are gone
    assert (recrawl.warc_dir / "index.sqlite").is_file()
    assert not list(recrawl.warc_dir.glob("index.sqlite-*")), "index left open"
    files = sorted(files_of(recrawl.warc_dir))
    from nianbao.archive.index import write_cdxj

    write_cdxj(recrawl.warc_dir, recrawl.warc_dir / "index.cdxj")  # from index.sqlite
    lines = (recrawl.warc_dir / "index.cdxj").read_text().splitlines()
    assert lines == sorted(lines)
    kinds = Counter(r.rec_type for _, r in all_records(files))
    assert len(lines) == kinds["response"] + kinds["revisit"] + kinds["resource"]
    indexer = subprocess.run([str(Path(sys.executable).parent / "cdxj-indexer"),
                              *map(str, files)], capture_output=True, text=True, check=True)
    theirs = sorted(line for line in indexer.stdout.splitlines()
                    if not line.startswith("urn:nianbao:"))  # they index metadata too
    assert lines == theirs


def test_fetch_rows_point_at_every_record(recrawl):
    files = sorted(files_of(recrawl.warc_dir))
    with sqlite3.connect(recrawl.data_dir / "nianbao.sqlite") as db:
        rows = db.execute("SELECT warc_file, warc_offset, warc_length, warc_record_id, "
                          "record_type, refers_to_record_id FROM fetch").fetchall()
    by_id = {}
    for path in files:
        for record in iter_records(path):
            by_id[record.rec_headers.get_header("WARC-Record-ID")] = (path.name, record)
    indexed = Counter(r.rec_type for _, r in by_id.values())
    # a row per response, revisit and resource record (metadata records are reached
    # from the document's record: their WARC-Refers-To)
    assert Counter(row[4] for row in rows) == Counter(
        {k: v for k, v in indexed.items() if k in ("response", "revisit", "resource")})
    for warc_file, offset, length, record_id, record_type, refers_to in rows:
        name, record = by_id[record_id]
        assert (name, record.rec_type) == (warc_file, record_type)
        assert record.rec_headers.get_header("WARC-Refers-To") == refers_to
        with open(recrawl.warc_dir / warc_file, "rb") as fh:
            fh.seek(offset)
            member = fh.read(length)
        assert gzip.decompress(member).split(b"\r\n", 4)[:4] and record_id.encode() in \
            gzip.decompress(member)


def test_metadata_records_tie_documents_to_their_reports(recrawl):
    with sqlite3.connect(recrawl.data_dir / "nianbao.sqlite") as db:
        reports = dict(db.execute("SELECT r.id, f.warc_record_id FROM report r "
                                  "JOIN fetch f ON f.id = r.fetch_id").fetchall())
    metas = [r for _, r in all_records(sorted(files_of(recrawl.warc_dir)))
             if r.rec_type == "metadata"]
    tied = {}
    for record in metas:
        fields = json.loads(record.raw_stream.read())
        assert fields["parser_version"]
        if fields.get("is_report"):
            tied[fields["report_id"]] = record.rec_headers.get_header("WARC-Refers-To")
    assert tied == reports


def test_replay_prints_the_payload_as_archived_at_a_time(recrawl, capsysbinary):
    from nianbao.cli import main

    def replay(*args: str) -> tuple[int, bytes, str]:
        status = main(["replay", "--data-dir", str(recrawl.data_dir), *args])
        out, err = capsysbinary.readouterr()
        return status, out, err.decode()

    url = recrawl.report_urls[0]
    status, newest, err = replay(url)
    assert status == 0 and err.startswith("revisit "), err
    status, listing, _ = replay("--list", url)
    lines = listing.decode().splitlines()
    assert [line.split()[1] for line in lines] == ["response", "revisit", "revisit"]
    status, first, err = replay("--at", lines[0].split()[0], url)
    assert status == 0 and err.startswith("response ") and first == newest
    entry = next(e for e in read_index(recrawl.warc_dir)
                 if e.url == url and e.record_type == "response")
    stored = load_payload(recrawl.warc_dir, entry.filename, entry.offset)
    assert newest == stored.decoded and stored.raw != stored.decoded  # gzip'd as sent
    status, raw, _ = replay("--raw", url)
    assert raw == stored.raw
    status, _, err = replay("--at", "2000", url)
    assert status == 1 and "not in the archive" in err


def test_reparse_rebuilds_every_report_from_the_warc_files_without_network(
        recrawl, tmp_path, monkeypatch):
    from nianbao.cli import main

    data_dir = tmp_path / "fresh"
    shutil.copytree(recrawl.warc_dir, data_dir / "warc")

    def no_network(*args, **kwargs):
        raise AssertionError(f"network use during reparse: {args}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert main(["reparse", "--data-dir", str(data_dir), "--no-progress"]) == 0
    assert main(["export", "--data-dir", str(data_dir), "--out",
                 str(tmp_path / "out.jsonl")]) == 0
    monkeypatch.undo()
    rebuilt = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]

    def comparable(report):
        return {k: v for k, v in report.items() if k != "source"} | {
            "record": report["source"]["warc_record_id"]}

    assert sorted(map(json.dumps, map(comparable, rebuilt))) == sorted(
        map(json.dumps, map(comparable, recrawl.third_export)))
    assert len(rebuilt) == len(recrawl.third_export) == 5  # one row per report


def test_reparse_with_a_new_parser_version_keeps_the_old_rows(recrawl, tmp_path,
                                                              monkeypatch):
    from nianbao import parsers
    from nianbao.cli import main

    data_dir = tmp_path / "copy"
    shutil.copytree(recrawl.data_dir, data_dir, ignore=shutil.ignore_patterns("*.toml"))
    old = parsers.PARSER_VERSION
    monkeypatch.setattr(parsers, "PARSER_VERSION", "99.0.0-test")
    assert main(["reparse", "--data-dir", str(data_dir), "--no-progress"]) == 0
    monkeypatch.undo()
    with sqlite3.connect(data_dir / "nianbao.sqlite") as db:
        versions = Counter(v for (v,) in db.execute("SELECT parser_version FROM report"))
    # one version per document and parser version: three crawls of unchanged pages stored
    # each once, and the reparse added one beside it
    assert versions[old] == len(recrawl.report_urls)
    assert versions["99.0.0-test"] == len(recrawl.report_urls)
    out = run_nianbao("export", "--data-dir", str(data_dir))
    exported = [json.loads(line) for line in out.stdout.splitlines()]
    assert {r["parser_version"] for r in exported} == {"99.0.0-test"}
    assert len(exported) == len(recrawl.third_export)


PYWB = ROOT / ".venv-pywb" / "bin" / "wayback"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_pywb_replays_every_report_capture_in_id_mode(recrawl, tmp_path):
    assert PYWB.exists(), "pywb's environment is missing: run `make setup`"
    from nianbao.archive.index import write_cdxj

    write_cdxj(recrawl.warc_dir, tmp_path / "index.cdxj")  # pywb's one sorted file
    (tmp_path / "config.yaml").write_text(json.dumps({"collections": {"nianbao": {
        "index_paths": str(tmp_path / "index.cdxj"),
        "archive_paths": str(recrawl.warc_dir) + "/"}}}))
    port = free_port()
    process = subprocess.Popen([str(PYWB), "--bind", "127.0.0.1", "-p", str(port)],
                               cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:  # wait for pywb to listen
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, "pywb did not start"
                time.sleep(0.1)
        entries = [e for e in read_index(recrawl.warc_dir) if e.url in recrawl.report_urls]
        kinds = Counter()
        for entry in entries:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", f"/nianbao/{entry.timestamp}id_/{entry.url}",
                               headers={"Accept-Encoding": "gzip"})
            response = connection.getresponse()
            body = response.read()
            connection.close()
            kinds[(entry.record_type, entry.status)] += 1
            # a server-not-modified revisit (no HTTP block, so no status in the index)
            # replays as the capture the server confirmed
            assert response.status == int(entry.status or 200), entry
            from nianbao.archive.check import sha1_base32

            assert sha1_base32(body) == entry.digest, entry
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert kinds[("response", "200")] == len(recrawl.report_urls)
    assert kinds[("revisit", "200")] > 0  # identical-payload revisits, resolved by pywb
    assert kinds[("revisit", None)] > 0  # server-not-modified revisits, resolved too


def test_exported_wacz_validates_and_has_its_required_entries(recrawl, tmp_path):
    out = tmp_path / "archive.wacz"
    result = run_nianbao("export-wacz", "--data-dir", str(recrawl.data_dir), "--out", str(out))
    assert result.returncode == 0, result.stderr
    wacz = Path(sys.executable).parent / "wacz"
    validate = subprocess.run([str(wacz), "validate", "-f", str(out)], capture_output=True,
                              text=True)
    assert validate.returncode == 0 and "Validation succeeded" in validate.stdout, (
        validate.stdout + validate.stderr)
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        for required in ("datapackage.json", "datapackage-digest.json", "pages/pages.jsonl"):
            assert required in names
        assert any(n.startswith("indexes/") for n in names)
        warcs = {p.name for p in files_of(recrawl.warc_dir)}
        assert {n.removeprefix("archive/") for n in names if n.startswith("archive/")} == warcs
        pages = archive.read("pages/pages.jsonl").decode().splitlines()
        header, rows = json.loads(pages[0]), [json.loads(line) for line in pages[1:]]
        assert header["format"] == "json-pages-1.0"
        assert {r["url"] for r in rows} >= {u for u in recrawl.report_urls
                                            if not u.endswith(".docx")}
        package = json.loads(archive.read("datapackage.json"))
        assert {r["path"] for r in package["resources"]} == names - {
            "datapackage.json", "datapackage-digest.json"}


