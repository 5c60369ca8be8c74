"""`nianbao schedule run` as a real service: it catches up a missed run on start, and on
SIGTERM mid-crawl the page in flight is finished, the WARC files are closed and valid, the
crawl run is marked interrupted; the next run (`schedule run-now`) completes the crawl."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import time_machine
from nianbao.scheduler.jobs import make_scheduler, sync_jobs
from nianbao.store import default_url

from nianbao.commands.schedule import config_jobs
from nianbao.demo import load_seeds, render_report_html, report_title

from .conftest import run_nianbao, write_portal_config
from .pages import PageServer
from .test_schedule import shanghai

SEEDS = load_seeds()
# Each seed published five times over: more pages than Scrapy hands its downloader at once
# (CONCURRENT_REQUESTS, 16), so that a stop leaves some of them for the next run.
PAGES = [f"/art/{s.id}-{n}.html" for n in range(5) for s in SEEDS]
BLOCK_AT = 3  # the third report page requested is held until the test lets it go


class SlowPortal(PageServer):
    """25 report pages; one request is held open so that SIGTERM lands mid-crawl."""

    def __init__(self) -> None:
        links = "".join(f'<li><a href="/art/{s.id}-{n}.html">{report_title(s)}</a></li>'
                        for n in range(5) for s in SEEDS)
        pages = {"/robots.txt": b"User-agent: *\nAllow: /\n",
                 "/index.html": f"<html><head><meta charset='utf-8'></head><body><ul>{links}"
                                f"</ul></body></html>".encode()}
        for seed in SEEDS:
            title = report_title(seed)
            for n in range(5):
                pages[f"/art/{seed.id}-{n}.html"] = (
                    f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
                    f"<h1>{title}</h1>{render_report_html(seed)}</body></html>").encode()
        self.held = threading.Event()  # the held request has arrived
        self.release = threading.Event()
        self.held_path: str | None = None
        self.report_requests = 0
        lock = threading.Lock()
        portal = self

        def hold_one_report(path: str) -> None:
            if path.startswith("/art/"):
                with lock:
                    portal.report_requests += 1
                    hold = portal.report_requests == BLOCK_AT
                if hold:
                    portal.held_path = path
                    portal.held.set()
                    portal.release.wait(120)

        super().__init__({path: (200, body) for path, body in pages.items()},
                         before=hold_one_report)

    def close(self) -> None:
        self.release.set()
        super().close()


def wait_for(predicate, timeout: float = 120.0) -> None:
    """Poll for a state another process reaches (not a timing assumption)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


@pytest.fixture()
def portal():
    portal = SlowPortal()
    yield portal
    portal.close()


def test_sigterm_mid_crawl_stops_cleanly_and_the_next_run_completes(portal, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    config = tmp_path / "portals.toml"
    write_portal_config(config, "slow", f"http://{portal.host}/index.html", portal.host,
                        requests_per_second=20.0)
    db_url = default_url(data.resolve())
    # The service was last running in January 2025: its stored job has been due since
    # 3 February 2025, so starting it now must run the crawl at once, and once.
    with time_machine.travel(shanghai(2025, 1, 10, 12, 0), tick=False):
        scheduler = make_scheduler(db_url)
        scheduler.start(paused=True)
        sync_jobs(scheduler, config_jobs(config, data), db_url=db_url,
                  state_dir=data.resolve() / "schedule")
        scheduler.shutdown()

    log = tmp_path / "service.log"
    with open(log, "w") as out:
        service = subprocess.Popen(
            [sys.executable, "-m", "nianbao.cli", "schedule", "run", "--config", str(config),
             "--data-dir", str(data)], stdout=out, stderr=subprocess.STDOUT)
    try:
        assert portal.held.wait(120), log.read_text()
        service.send_signal(signal.SIGTERM)
        wait_for(lambda: "stopping: asked 1 crawl" in log.read_text())
        portal.release.set()  # the page in flight now completes
        assert service.wait(120) == 0, log.read_text()
    finally:
        if service.poll() is None:
            service.kill()
    text = log.read_text()
    assert "slow: kept, next run 2025-02-03 03:00+08:00" in text
    assert text.rstrip().endswith("stopped")
    # the service logs each run, start and end; the crawl's own log has its stats lines
    assert "crawling slow (schedule run 1, log " in text
    assert "slow: interrupted (schedule run 1, exit code " in text
    child_log = next((data / "schedule" / "logs").glob("slow-1.log")).read_text()
    assert "[nianbao.stats] INFO: " in child_log and "pages/min" in child_log

    db = sqlite3.connect(data / "nianbao.sqlite")
    (run_id, status, finished), = db.execute(
        "SELECT id, status, finished_at FROM crawl_run").fetchall()
    assert status == "interrupted" and finished
    assert db.execute("SELECT trigger, result, crawl_run_id FROM schedule_run").fetchall() == [
        ("schedule", "interrupted", run_id)]
    fetched = {url.split(portal.host)[1]: code for url, code in db.execute(
        "SELECT url, status FROM fetch WHERE crawl_run_id = ? AND url LIKE '%/art/%' "
        "AND status IS NOT NULL", (run_id,))}  # (not the archive's metadata records)
    # the page that was in flight at SIGTERM was finished, archived and stored
    assert fetched[portal.held_path] == 200
    assert db.execute("SELECT count(*) FROM report WHERE url LIKE ?",
                      (f"%{portal.held_path}",)).fetchone() == (1,)
    # and the crawl stopped there: Scrapy's graceful stop finishes the requests already
    # handed to its downloader (up to 16), and schedules no more
    assert BLOCK_AT <= len(fetched) < len(PAGES)

    warcs = sorted((data / "warc").rglob("*"))
    assert warcs and not [p for p in warcs if p.name.endswith(".open")]
    warcio = Path(sys.executable).with_name("warcio")
    # the WARC files (the directory also holds the archive's index.sqlite)
    files = [p for p in warcs if p.is_file() and p.name.endswith((".warc.gz", ".warc"))]
    assert files
    for path in files:
        check = subprocess.run([str(warcio), "check", str(path)], capture_output=True,
                               text=True)
        assert check.returncode == 0, check.stdout + check.stderr

    # the next run completes the crawl, and continues rather than restarts
    out = run_nianbao("schedule", "run-now", "slow", "--config", str(config), "--data-dir",
                      str(data))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "slow: completed" in out.stdout
    (second, status), = db.execute(
        "SELECT id, status FROM crawl_run WHERE id > ?", (run_id,)).fetchall()
    assert status == "completed"
    again = {url.split(portal.host)[1] for (url,) in db.execute(
        "SELECT url FROM fetch WHERE crawl_run_id = ? AND url LIKE '%/art/%' "
        "AND status = 200", (second,))}
    assert again == set(PAGES) - set(fetched)
    # each report is new exactly once over the two runs; the interruption removed nothing
    changes = db.execute("SELECT kind, agency FROM report_change").fetchall()
    assert sorted(changes) == sorted(("new", s.agency) for s in SEEDS)
