"""HTTP framing and limits (issue 16, guarantee 4), against hostile loopback servers:
broken chunked framing is an error, never a truncated 200; Retry-After is honoured within a
bound and a 429 holds back the whole host; a gzip bomb is cut at the size limit while it
inflates, with the crawl's peak memory measured."""

from __future__ import annotations

import asyncio
import gzip
import sqlite3
import subprocess
import sys
import time

import pytest
from nianbao.crawler.politeness import BackoffRetryMiddleware, retry_after
from nianbao.crawler.wire import WireDownloadHandler
from scrapy import Request, Spider
from scrapy.exceptions import ResponseDataLossError
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from .conftest import write_portal_config
from .hostile import HostileServer, http, page
from .test_scope import REPORT, report_page, warc_urls

CHUNKED = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"


def _get(url: str) -> Response:
    handler = WireDownloadHandler(get_crawler())

    async def run():
        try:
            return await handler.download_request(Request(url))
        finally:
            await handler.close()
    return asyncio.run(run())


@pytest.mark.parametrize(("name", "body"), [
    ("longer than its size line", b"5\r\nHELLO, WORLD\r\n0\r\n\r\n"),
    ("a bad size line", b"zz\r\nHELLO\r\n0\r\n\r\n"),
    ("a negative size", b"-5\r\nHELLO\r\n0\r\n\r\n"),
    ("cut before the last chunk", b"5\r\nHELLO\r\n"),
    ("shorter than its size line", b"a\r\nHELLO"),
])
def test_chunked_framing_errors_are_errors(name, body):
    with HostileServer({"/": CHUNKED + body}) as server:
        with pytest.raises(ResponseDataLossError):
            _get(server.url("/"))
    with HostileServer({"/": CHUNKED + b"5\r\nHELLO\r\n0\r\n\r\n"}) as server:
        assert _get(server.url("/")).body == b"HELLO"


def test_a_chunked_framing_error_is_recorded_not_archived_as_a_200(tmp_path):
    listing = page(f'<a href="/good.html">{REPORT}</a>'
                   f'<a href="/broken.html">{REPORT[:-6]}2022年度报告</a>')
    broken = CHUNKED + b"40\r\n" + b"<html><body>" + b"x" * 200 + b"\r\n0\r\n\r\n"
    with HostileServer({"/": listing, "/good.html": report_page(),
                        "/broken.html": broken}) as portal:
        config = write_portal_config(tmp_path / "portals.toml", "framing", portal.url("/"),
                                     portal.host)
        result = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--config",
                                 str(config), "--data-dir", str(tmp_path), "--no-progress"],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert portal.paths().count("/broken.html") == 3  # tried, retried twice, given up
    db = sqlite3.connect(tmp_path / "nianbao.sqlite")
    errors = dict(db.execute("SELECT url, message FROM error"))
    assert "chunked framing error" in errors[portal.url("/broken.html")]
    assert not db.execute("SELECT 1 FROM fetch WHERE url = ?",
                          (portal.url("/broken.html"),)).fetchall()
    assert portal.url("/broken.html") not in warc_urls(tmp_path / "warc")
    assert portal.url("/good.html") in warc_urls(tmp_path / "warc")


def test_retry_after_is_honoured_within_its_bound():
    assert retry_after(b"7") == 7.0
    assert retry_after(b"Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_after(b"soon") is None and retry_after(None) is None
    crawler = get_crawler(settings_dict={"RETRY_AFTER_MAX": 5.0, "RETRY_BACKOFF_BASE": 0.5})
    crawler.spider = Spider.from_crawler(crawler, "t")  # Scrapy's retry asks for it
    middleware = BackoffRetryMiddleware.from_crawler(crawler)
    for asked, expected in ((b"3", 3.0), (b"3600", 5.0)):
        request = Request("http://127.0.0.1:9/a", meta={"download_slot": "127.0.0.1:9"})
        response = Response(request.url, status=503, headers={"Retry-After": asked},
                            request=request)
        before = time.monotonic()
        retry = middleware.process_response(request, response)
        assert isinstance(retry, Request)
        assert retry.meta["retry_not_before"] - before == pytest.approx(expected, abs=0.2)


def test_a_429_holds_back_the_whole_host_for_its_retry_after(tmp_path):
    listing = "".join(f'<li><a href="/art/{n}.html">{REPORT[:-6]}{2010 + n}年度报告</a></li>'
                      for n in range(6))
    answers = {"/": page(f"<ul>{listing}</ul>")}
    throttled = {"done": False}

    def art(path: str) -> bytes:
        if path == "/art/1.html" and not throttled["done"]:
            throttled["done"] = True
            return http(429, b"slow down", headers={"Retry-After": "2"})
        return report_page()

    answers.update({f"/art/{n}.html": art for n in range(6)})
    with HostileServer(answers) as portal:
        config = write_portal_config(tmp_path / "portals.toml", "busy", portal.url("/"),
                                     portal.host, requests_per_second=20.0)
        result = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--config",
                                 str(config), "--data-dir", str(tmp_path), "--no-progress"],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        times = list(portal.requests)
    at_429 = next(t for t, p in times if p == "/art/1.html")
    after = [(t - at_429, p) for t, p in times if t > at_429]
    # nothing was asked of the host until its Retry-After had passed (not the retry alone:
    # every page of the host), although 20 requests/s were allowed
    assert after and min(t for t, _ in after) >= 1.9, after
    assert "/art/1.html" in [p for _, p in after]  # and the throttled page was retried


BOMB_LIMIT_MB = 32
MEASURE = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _peak_rss_kib(config, data_dir) -> int:
    out = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-m", "nianbao.cli",
                          "crawl", "--config", str(config), "--data-dir", str(data_dir),
                          "--no-progress"], capture_output=True, text=True, timeout=300)
    return int(out.stdout.strip())


def test_a_gzip_bomb_is_cut_at_the_size_limit_as_it_inflates(tmp_path):
    member = gzip.compress(b"\0" * (64 << 20), compresslevel=9)
    bomb = member * 16  # 1 GiB inflated, from about 1 MB on the wire
    listing = page(f'<a href="/good.html">{REPORT}</a>'
                   f'<a href="/bomb.html">{REPORT[:-6]}2022年度报告</a>')
    bomb_answer = http(200, bomb, headers={"Content-Encoding": "gzip"})
    runs = {}
    for name, answer in (("baseline", report_page()), ("bomb", bomb_answer)):
        with HostileServer({"/": listing, "/good.html": report_page(),
                            "/bomb.html": answer}) as portal:
            data_dir = tmp_path / name
            data_dir.mkdir()
            config = write_portal_config(data_dir / "portals.toml", name, portal.url("/"),
                                         portal.host, max_download_mb=BOMB_LIMIT_MB)
            runs[name] = (_peak_rss_kib(config, data_dir), portal.url("/bomb.html"))
    (base, _), (peak, bomb_url) = runs["baseline"], runs["bomb"]
    extra_mib = (peak - base) / 1024
    print(f"peak RSS: baseline {base / 1024:.0f} MiB, with the bomb {peak / 1024:.0f} MiB "
          f"(+{extra_mib:.0f} MiB; limit {BOMB_LIMIT_MB} MiB, inflated size 1024 MiB)")
    assert extra_mib < 2 * BOMB_LIMIT_MB
    db = sqlite3.connect(tmp_path / "bomb" / "nianbao.sqlite")
    message = dict(db.execute("SELECT url, message FROM error"))[bomb_url]
    assert "DOWNLOAD_MAXSIZE" in message or "exceeded" in message, message
    reports = [u for (u,) in db.execute("SELECT url FROM report")]
    assert bomb_url not in reports and len(reports) == 1
