"""Bad input never stops a crawl: a 5xx, a broken attachment and a dead link are recorded
with their URLs, and the good report next to them is still stored."""

from __future__ import annotations

import json
import sqlite3

import pytest

from nianbao.demo import load_seeds, render_report_html

from .conftest import run_nianbao, write_portal_config
from .pages import PageServer

REPORT = "天津市东丽区人力资源和社会保障局2023年政府信息公开工作年度报告"


def pages() -> dict[str, tuple[int, str, bytes]]:
    seed = next(s for s in load_seeds() if s.id == "000")
    listing = f"""<html><head><meta charset="utf-8"></head><body><ul>
      <li><a href="/art/good.html">{REPORT}</a></li>
      <li><a href="/art/broken.html">天津市东丽区民政局2023年政府信息公开工作年度报告</a></li>
      <li><a href="/upload/bad.docx">天津市东丽区司法局2023年政府信息公开工作年度报告.docx</a></li>
      <li><a href="http://127.0.0.1:1/gone.html">天津市东丽区文旅局2023年政府信息公开工作年度报告</a></li>
    </ul></body></html>"""
    good = (f"<html><head><meta charset='utf-8'><title>{REPORT}</title></head><body>"
            f"<h1>{REPORT}</h1>{render_report_html(seed)}</body></html>")
    return {
        "/robots.txt": (200, "text/plain", b"User-agent: *\nAllow: /\n"),
        "/": (200, "text/html; charset=utf-8", listing.encode()),
        "/art/good.html": (200, "text/html; charset=utf-8", good.encode()),
        "/art/broken.html": (503, "text/html", b"<h1>Service Unavailable</h1>"),
        "/upload/bad.docx": (200, "application/vnd.openxmlformats-officedocument."
                             "wordprocessingml.document", b"PK\x03\x04 truncated"),
    }


@pytest.fixture()
def flaky_portal():
    with PageServer(pages()) as site:
        yield site.host


def test_failures_are_recorded_and_the_crawl_goes_on(flaky_portal, tmp_path):
    host = flaky_portal
    config = tmp_path / "portals.toml"
    write_portal_config(config, "flaky", f"http://{host}/", [host, "127.0.0.1:1"],
                        requests_per_second=50.0)
    result = run_nianbao("crawl", "--config", str(config), "--data-dir", str(tmp_path),
                         "--no-progress")
    assert result.returncode == 0, result.stderr

    db = sqlite3.connect(tmp_path / "nianbao.sqlite")
    errors = {url: (stage, message) for url, stage, message in
              db.execute("SELECT url, stage, message FROM error")}
    assert errors[f"http://{host}/art/broken.html"] == ("fetch", "HTTP 503")
    stage, message = errors[f"http://{host}/upload/bad.docx"]
    assert stage == "parse" and "DOCX" in message
    stage, message = errors["http://127.0.0.1:1/gone.html"]
    assert stage == "fetch" and "Connection" in message
    # Every attempt at the 503 page was archived (the retries too) and is in the fetch table.
    statuses = [s for (s,) in db.execute("SELECT status FROM fetch WHERE url LIKE '%broken%'")]
    assert statuses == [503, 503, 503]

    export = run_nianbao("export", "--data-dir", str(tmp_path))
    (report,) = [json.loads(line) for line in export.stdout.splitlines()]
    assert report["agency"] == "天津市东丽区人力资源和社会保障局"
    assert report["values"]["active.licensing.decisions"] == 282


def test_timeouts_and_dropped_connections_are_retried_later_and_archived(tmp_path):
    """The first attempt at one page hangs past the portal's timeout, the first at another
    has its connection dropped: each is asked again, after a backoff, and archived."""
    import time

    seed = next(s for s in load_seeds() if s.id == "000")
    report = (f"<html><head><meta charset='utf-8'><title>{REPORT}</title></head><body>"
              f"<h1>{REPORT}</h1>{render_report_html(seed)}</body></html>").encode()
    listing = (f'<html><head><meta charset="utf-8"></head><body><ul>'
               f'<li><a href="/art/slow.html">{REPORT}</a></li>'
               f'<li><a href="/art/dropped.html">天津市东丽区民政局2023年政府信息公开工作年度报告'
               f'</a></li></ul></body></html>').encode()
    attempts: dict[str, list[float]] = {}

    def before(path: str) -> None:
        seen = attempts.setdefault(path, [])
        seen.append(time.monotonic())
        if len(seen) == 1 and path == "/art/slow.html":
            time.sleep(3)  # past the 1 s timeout: the crawler has given up on it
        if len(seen) == 1 and path == "/art/dropped.html":
            raise ConnectionAbortedError("dropped")  # the handler thread dies, no answer

    with PageServer({"/robots.txt": (200, "text/plain", b"User-agent: *\nAllow: /\n"),
                     "/": (200, "text/html; charset=utf-8", listing),
                     "/art/slow.html": (200, "text/html; charset=utf-8", report),
                     "/art/dropped.html": (200, "text/html; charset=utf-8", report)},
                    before=before) as site:
        config = write_portal_config(tmp_path / "portals.toml", "flaky", f"http://{site.host}/",
                                     site.host, timeout=1)
        result = run_nianbao("crawl", "--config", str(config), "--data-dir", str(tmp_path),
                             "--no-progress")
    assert result.returncode == 0, result.stderr
    for path in ("/art/slow.html", "/art/dropped.html"):
        first, second = attempts[path][:2]
        assert second - first >= 0.5, path  # RETRY_BACKOFF_BASE, after the failure itself
    assert attempts["/art/slow.html"][1] - attempts["/art/slow.html"][0] >= 1.5  # 1 s + wait
    db = sqlite3.connect(tmp_path / "nianbao.sqlite")
    fetched = {url.rsplit("/", 1)[-1]: status for url, status in
               db.execute("SELECT url, status FROM fetch WHERE url LIKE '%/art/%'")}
    assert fetched == {"slow.html": 200, "dropped.html": 200}
    assert [m for (m,) in db.execute("SELECT message FROM error")] == []
