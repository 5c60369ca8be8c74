"""The whole pipeline on the demo portals: real Scrapy, real HTTP on loopback, real WARC
files and a real SQLite database. Nothing on this path is mocked."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from nianbao.archive import read_record

from nianbao import parsers

from .conftest import run_nianbao, seed_cases


def expected_by_seed() -> dict[str, dict]:
    return {case.id: case.expected for case in seed_cases()}


def test_demo_crawl_finds_every_report_and_no_decoy(demo_crawl):
    exported = demo_crawl.export()
    # one row per report (agency + year), each listing every document that carries it
    assert len(exported) == len({r.seed_id for r in demo_crawl.reports}) == 5
    by_url = {url: r for r in exported for url in r["copies"]["urls"]}
    assert sorted(by_url) == sorted(r.document_url for r in demo_crawl.reports)
    assert all(r["copies"]["count"] == len(r["copies"]["urls"]) for r in exported)
    assert not set(by_url) & set(demo_crawl.decoys)

    expected = expected_by_seed()
    for demo_report in demo_crawl.reports:
        report = by_url[demo_report.document_url]
        want = expected[demo_report.seed_id]
        for field in ("agency", "province", "city", "district", "division_code", "year",
                      "format"):
            assert report[field] == want[field], (demo_report.seed_id, field)
        assert {k: report["values"][k] for k in want["values"]} == want["values"]
        assert sorted({c["key"] for c in report["checks_failed"]}) == want[
            "expected_violations"]
        assert report["published"] in {r.published for r in demo_crawl.reports
                                       if r.seed_id == demo_report.seed_id}


def test_every_warc_file_passes_warcio_check(demo_crawl):
    files = sorted((demo_crawl.data_dir / "warc").glob("*.warc.gz"))
    assert files, "the crawl wrote no WARC file"
    assert not list((demo_crawl.data_dir / "warc").glob("*.open"))
    for path in files:
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_each_report_source_holds_its_values(demo_crawl):
    """Provenance: re-parsing the WARC record a report points at gives the same values."""
    for report in demo_crawl.export():
        source = report["source"]
        headers, payload = read_record(demo_crawl.data_dir / "warc", source["warc_file"],
                                       source["warc_offset"])
        assert headers["WARC-Record-ID"] == source["warc_record_id"]
        assert headers["WARC-Target-URI"] == report["url"]
        content_type = None
        if report["url"].endswith(".docx"):
            content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        again = parsers.parse_document(payload, content_type=content_type, name=report["url"])
        assert again.values() == report["values"]


def test_fetch_table_points_at_every_response_record(demo_crawl):
    db = sqlite3.connect(demo_crawl.data_dir / "nianbao.sqlite")
    fetches = db.execute("SELECT url, status, warc_file, warc_offset, warc_record_id, "
                         "payload_digest FROM fetch").fetchall()
    assert len(fetches) >= 10
    for url, _status, warc_file, offset, record_id, digest in fetches:
        headers, _ = read_record(demo_crawl.data_dir / "warc", warc_file, offset)
        assert (headers["WARC-Record-ID"], headers["WARC-Target-URI"]) == (record_id, url)
        assert headers["WARC-Payload-Digest"] == digest
    urls = [row[0] for row in fetches]
    hosts = {p.host for p in demo_crawl.portals}
    # allowed_hosts is obeyed, and robots.txt (which disallows /search/) too.
    assert all(url.split("/")[2] in hosts for url in urls)
    assert not any("/search/" in url for url in urls)
    assert any(url.endswith("/robots.txt") for url in urls)
    runs = db.execute("SELECT status, reports FROM crawl_run").fetchall()
    assert runs == [("completed", len(demo_crawl.reports))]


def test_nianbao_demo_command(tmp_path):
    from nianbao.demo import DemoPortals

    demo = DemoPortals()  # not started: only to know what it serves
    demo.start()
    names, n_reports = [p.name for p in demo.portals], len(demo.reports)
    demo.close()
    result = run_nianbao("demo", "--data-dir", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert f"{n_reports} reports parsed" in result.stdout
    assert n_reports == 15  # 5 on the two original portals, 10 on the CMS-pattern ones
    assert all(name in result.stdout for name in names)
    export = run_nianbao("export", "--data-dir", str(tmp_path), "--format", "csv")
    lines = export.stdout.splitlines()
    # one row per report: the demo's 12 documents carry the 5 seed reports
    assert len(lines) == 5 + 1 and lines[0].startswith("agency,province,city")


def test_nianbao_demo_twice_makes_the_second_run_a_recrawl(tmp_path):
    from collections import Counter

    from nianbao.archive import iter_records

    def run() -> set:
        before = set((tmp_path / "warc").glob("*.warc.gz"))
        result = run_nianbao("demo", "--data-dir", str(tmp_path), "--no-progress",
                             "--port", "8811")
        assert result.returncode == 0, result.stderr
        assert "not free" not in result.stderr  # the same ports both times
        return set((tmp_path / "warc").glob("*.warc.gz")) - before

    first, second = run(), run()
    kinds = [Counter(r.rec_type for path in files for r in iter_records(path))
             for files in (first, second)]
    # the same URLs again: every response of the first run is a revisit in the second,
    # except the browser's loads of demo-home's two script-built lists (page and XHR): the
    # second run asks the list API it learned directly, without the browser
    assert kinds[1]["response"] == 0 and kinds[1]["revisit"] > 0
    assert 0 < kinds[0]["response"] - kinds[1]["revisit"] <= 4
