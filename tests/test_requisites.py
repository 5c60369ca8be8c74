"""Report pages archived with their requisites, and report tables printed as pictures read
from those pictures: the real `nianbao crawl` (Scrapy engine) against a site on loopback,
the WARC files read back with warcio, then `nianbao reparse` with the site gone."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree
from nianbao.archive import iter_records
from nianbao.crawler.requisites import page_requisites

from .conftest import run_nianbao, write_portal_config
from .corpus.build import make_spec
from .corpus.scan import _jpeg, degrade, render_pages
from .pages import PageServer

CSS = b"""@import "print.css";
body { background: url(../img/bg.png) }
@font-face { font-family: x; src: url("/fonts/x.woff") }"""


def _site(host: str, spec, pictures: list[bytes]) -> dict:
    title = f"{spec.agency[0]}{spec.year}年政府信息公开工作年度报告"
    report = f"""<html><head><title>{title}</title>
<link rel="stylesheet" href="/css/site.css"><script src="/js/site.js"></script>
<link rel="icon" href="/favicon.ico"></head>
<body><h1>{title}</h1><p>发布日期：{spec.published}</p>
<p><img src="/img/p1.jpg"></p><p><img src="../img/p2.jpg"></p>
<img src="/private/tracker.png"><img src="http://127.0.0.2:9/elsewhere.png">
</body></html>""".encode()
    listing = (f'<html><body><a href="/art/r.html">{title}</a></body></html>').encode()
    return {
        "/": (200, listing),
        "/robots.txt": (200, "text/plain", b"User-agent: *\nDisallow: /private/\n"),
        "/art/r.html": (200, report),
        "/css/site.css": (200, "text/css", CSS),
        "/css/print.css": (200, "text/css", b"p { color: black }"),
        "/img/bg.png": (200, "image/png", b"\x89PNG\r\n\x1a\nbackground"),
        "/fonts/x.woff": (200, "font/woff", b"wOFFfont"),
        "/js/site.js": (200, "application/javascript", b"console.log(1)"),
        "/favicon.ico": (200, "image/x-icon", b"\x00\x00\x01\x00icon"),
        "/img/p1.jpg": (200, "image/jpeg", pictures[0]),
        "/img/p2.jpg": (200, "image/jpeg", pictures[1]),
        "/private/tracker.png": (200, "image/png", b"\x89PNG\r\n\x1a\nprivate"),
    }


def _export(data_dir: Path) -> list[dict]:
    out = run_nianbao("export", "--data-dir", str(data_dir))
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def _right(report: dict, spec) -> float:
    return sum(report["values"].get(k, "missing") == v
               for k, v in spec.expected.items()) / len(spec.expected)


def test_page_requisites_of_a_page():
    root = etree.HTML(b"""<html><head><base href="http://h/a/"><link rel=stylesheet href=s.css>
    <style>div{background:url('/bg.gif')}</style></head><body style="background:url(b.jpg)">
    <img src=x.png srcset="y.png 2x, z.png 3x"><img data-src=lazy.jpg><script src=/j.js></script>
    <img src="data:image/png;base64,AA"><a href=page.html>not a requisite</a></body></html>""")
    assert page_requisites(root, "http://h/index.html") == [
        ("http://h/a/s.css", "css"), ("http://h/bg.gif", "image"), ("http://h/a/b.jpg", "image"),
        ("http://h/a/x.png", "image"), ("http://h/a/y.png", "image"),
        ("http://h/a/z.png", "image"), ("http://h/a/lazy.jpg", "image"),
        ("http://h/j.js", "script")]


def test_report_page_archived_with_requisites_and_its_pictures_read(tmp_path):
    spec, rng = make_spec("pdf", 1300)
    pictures = [_jpeg(degrade(page, rng), rng) for page in render_pages(spec, rng)]
    asked: list[str] = []
    with PageServer(before=asked.append) as server:
        server.pages = _site(server.host, spec, pictures)
        config = write_portal_config(tmp_path / "portals.toml", "scans", f"http://{server.host}/",
                                     server.host)
        result = run_nianbao("crawl", "--config", str(config), "--data-dir", str(tmp_path),
                             "--no-progress")
        assert result.returncode == 0, result.stderr
        base = f"http://{server.host}"
        first = _export(tmp_path)
    # Every requisite in scope is archived as a response, through the same politeness:
    # robots.txt kept /private/ out, and the other host was never asked.
    archived = {}
    for path in sorted((tmp_path / "warc").glob("*.warc.gz")):
        for record in iter_records(path):
            if record.rec_type == "response":
                archived[record.rec_headers.get_header("WARC-Target-URI")] = \
                    record.content_stream().read()
    for path in ("/css/site.css", "/css/print.css", "/img/bg.png", "/fonts/x.woff",
                 "/js/site.js", "/favicon.ico", "/img/p1.jpg", "/img/p2.jpg"):
        assert f"{base}{path}" in archived, path
    assert archived[f"{base}/img/p1.jpg"] == pictures[0]
    assert "/private/tracker.png" not in asked
    assert not any("elsewhere" in url for url in archived)
    # The report was read from its pictures during the crawl ...
    (report,) = [r for r in first if r["url"] == f"{base}/art/r.html"]
    assert report["status"] == "parsed" and report["year"] == spec.year
    assert _right(report, spec) >= 0.98
    # ... and again on a reparse, with the site gone: the pictures come from the archive.
    result = run_nianbao("reparse", "--data-dir", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stderr
    (again,) = [r for r in _export(tmp_path) if r["url"] == f"{base}/art/r.html"]
    assert again["values"] == report["values"]
    assert _right(again, spec) >= 0.98
