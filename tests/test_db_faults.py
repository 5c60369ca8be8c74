"""Database faults (issue 16, guarantee 2), with real parts: a real PostgreSQL stopped and
started again mid-crawl, and another process holding SQLite's write lock.

Writes are retried across the outage and nothing is lost; an outage longer than the retry
time stops the crawl "interrupted" (exit 1), and the next run stores what had no row.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from nianbao.cli import main

from .conftest import write_portal_config
from .faults import Portal, assert_nothing_lost
from .services import PostgresCluster

PAGES = 24


def crawl(config, data_dir, db: str | None = None, **env: str) -> subprocess.CompletedProcess:
    import os

    args = [sys.executable, "-m", "nianbao.cli", "crawl", "--config", str(config),
            "--data-dir", str(data_dir), "--no-progress"]
    if db:
        args += ["--db", db]
    return subprocess.run(args, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


@pytest.fixture()
def postgres():
    cluster = PostgresCluster()
    yield cluster
    cluster.close()


def test_postgresql_restarted_mid_crawl_loses_nothing(postgres, tmp_path):
    outage: dict[str, float] = {}

    def restart() -> None:
        outage["down"] = time.monotonic()
        postgres.stop()
        time.sleep(3)
        postgres.start()
        outage["up"] = time.monotonic()

    def hook(path: str, asked: int) -> None:
        if asked == 8:  # a third of the way in
            threading.Thread(target=restart, daemon=True).start()

    portal = Portal(PAGES, hook)
    try:
        config = write_portal_config(tmp_path / "portals.toml", "pg", portal.url("/"),
                                     portal.host, requests_per_second=8.0)
        result = crawl(config, tmp_path, postgres.url)
    finally:
        portal.close()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "retrying" in result.stderr  # the outage was met, and outlasted
    assert "up" in outage
    # fetching paused: at most the requests already in flight arrived while it was down
    during = [p for t, p in portal.asked if outage["down"] + 0.5 < t < outage["up"]]
    assert len(during) <= 2, during
    assert_nothing_lost(tmp_path, postgres.url, [portal.url(p) for p in portal.paths])


def test_postgresql_gone_for_longer_interrupts_and_the_rerun_stores_the_rest(postgres,
                                                                             tmp_path, capsys):
    def hook(path: str, asked: int) -> None:
        if asked == 8:
            threading.Thread(target=postgres.stop, daemon=True).start()

    portal = Portal(PAGES, hook)
    try:
        config = write_portal_config(tmp_path / "portals.toml", "pg", portal.url("/"),
                                     portal.host, requests_per_second=8.0)
        result = crawl(config, tmp_path, postgres.url, NIANBAO_DB_RETRY_SECONDS="2")
        assert result.returncode == 1, result.stdout + result.stderr
        assert "interrupted" in result.stderr and "database" in result.stderr
        assert "portal pg failed: cut short" in result.stderr
        assert "Traceback" not in result.stdout
        asked_first = len(portal.asked)
        # it stopped instead of fetching on without rows: the 8th request stopped the
        # database, at most the requests in flight then were answered
        assert asked_first <= 8 + 3, asked_first
        postgres.start()
        again = crawl(config, tmp_path, postgres.url)
        assert "Traceback" not in again.stderr
    finally:
        portal.close()
    assert again.returncode == 0, again.stdout + again.stderr
    assert_nothing_lost(tmp_path, postgres.url, [portal.url(p) for p in portal.paths])
    # `sql` has a statement timeout on PostgreSQL too (guarantee 5)
    started = time.monotonic()
    assert main(["sql", "--db", postgres.url, "--timeout", "1", "SELECT pg_sleep(20)"]) == 1
    assert "ran longer than 1 s" in capsys.readouterr().err
    assert time.monotonic() - started < 15


def test_sqlite_write_lock_held_by_another_process_loses_nothing(tmp_path):
    db = tmp_path / "nianbao.sqlite"
    held: dict[str, float] = {}

    def hold_lock() -> None:
        # another process's writer: BEGIN IMMEDIATE takes SQLite's write lock
        locker = subprocess.Popen(
            [sys.executable, "-c",
             "import sqlite3, sys, time\n"
             f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
             "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True)\n"
             "time.sleep(11.5); c.execute('ROLLBACK')\n"],
            stdout=subprocess.PIPE, text=True)
        locker.stdout.readline()
        held["at"] = time.monotonic()
        locker.wait()
        held["until"] = time.monotonic()

    def hook(path: str, asked: int) -> None:
        if asked == 6:
            threading.Thread(target=hold_lock, daemon=True).start()

    portal = Portal(PAGES // 2, hook)
    try:
        config = write_portal_config(tmp_path / "portals.toml", "lock", portal.url("/"),
                                     portal.host, requests_per_second=8.0)
        result = crawl(config, tmp_path)
    finally:
        portal.close()
    assert result.returncode == 0, result.stdout + result.stderr
    assert held["until"] - held["at"] > 10  # longer than SQLite's own busy timeout
    assert "retrying" in result.stderr
    assert_nothing_lost(tmp_path, f"sqlite:///{db}", [portal.url(p) for p in portal.paths])
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT status FROM crawl_run").fetchall() == [
            ("completed",)]


def test_the_next_run_adds_a_row_for_every_archived_record_without_one(tmp_path):
    """What the crawl runs first (nianbao.crawl.add_missing_fetch_rows), on records written
    with no database at all: a row for each, with what the WARC says; once only."""
    from datetime import UTC, datetime

    from nianbao.archive.writer import HttpExchange, WarcFileWriter
    from nianbao.crawler.portal import Portal as PortalConfig
    from nianbao.store import Store
    from nianbao.store.retry import RetryingStore

    from nianbao.crawl import add_missing_fetch_rows

    warc = tmp_path / "warc"
    writer = WarcFileWriter(warc)
    for number, method in enumerate(["GET", "GET", "POST"]):
        writer.write(HttpExchange(
            url=f"http://127.0.0.1:8080/{number}.html", method=method,
            request_target=f"/{number}.html", request_headers=[("Host", "127.0.0.1:8080")],
            request_body=b"q=1" if method == "POST" else b"", status=200, reason="OK",
            protocol="HTTP/1.1", response_headers=[("Content-Type", "text/html")],
            response_body=f"<p>{number}</p>".encode(), fetched_at=datetime.now(UTC)))
    writer.close()
    portal = PortalConfig("p", ("http://127.0.0.1:8080/",), ("127.0.0.1:8080",))
    with RetryingStore(Store(f"sqlite:///{tmp_path / 'db.sqlite'}", upgrade=True)) as store:
        run_id = store.start_run("crawl")
        ids = {"p": store.portal_id("p", ["http://127.0.0.1:8080/"], ["127.0.0.1:8080"])}
        assert add_missing_fetch_rows(store, warc, run_id, [portal], ids) == 3
        assert add_missing_fetch_rows(store, warc, run_id, [portal], ids) == 0
    with sqlite3.connect(tmp_path / "db.sqlite") as connection:
        rows = connection.execute("SELECT url, method, status, portal_id, warc_record_id "
                                  "FROM fetch ORDER BY url").fetchall()
    assert [(u.rsplit("/", 1)[1], m, s, p) for u, m, s, p, _ in rows] == [
        ("0.html", "GET", 200, ids["p"]), ("1.html", "GET", 200, ids["p"]),
        ("2.html", "POST", 200, ids["p"])]
    assert all(r[4].startswith("<urn:uuid:") for r in rows)


def test_retries_are_bounded_then_every_write_fails_at_once():
    """store.retry on its own: a lost connection is retried with growing waits; past the
    retry time the crawl is told once and later writes fail at once; a constraint error is
    never retried."""
    from nianbao.store.retry import DatabaseUnavailable, RetryingStore
    from sqlalchemy.exc import IntegrityError, OperationalError

    class Flaky:
        def __init__(self, failures: int) -> None:
            self.failures, self.calls = failures, 0

        def add(self) -> str:
            self.calls += 1
            if self.calls <= self.failures:
                raise OperationalError("INSERT", {}, Exception("server closed the connection"))
            return "stored"

        def duplicate(self) -> None:
            raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))

    waits: list[float] = []
    store = RetryingStore(Flaky(3), seconds=60, sleep=waits.append)
    assert store.add() == "stored" and waits == [0.25, 0.5, 1.0]
    with pytest.raises(IntegrityError):
        store.duplicate()

    told: list[str] = []
    clock = {"now": 0.0}
    gone = Flaky(10**6)
    store = RetryingStore(gone, seconds=2, sleep=lambda s: clock.update(now=clock["now"] + s),
                          clock=lambda: clock["now"], on_unavailable=told.append)
    with pytest.raises(DatabaseUnavailable, match="took no write for 2 s"):
        store.add()
    calls = gone.calls
    with pytest.raises(DatabaseUnavailable):
        store.add()
    assert len(told) == 1 and gone.calls == calls  # told once; the second call never tried


def _restart_after(postgres, seconds: float) -> threading.Thread:
    postgres.stop()
    thread = threading.Thread(target=lambda: (time.sleep(seconds), postgres.start()),
                              daemon=True)
    thread.start()
    return thread


def _report_rows(url: str) -> list:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT url FROM report")).all()
    finally:
        engine.dispose()


def test_a_batch_retried_across_an_outage_still_stores_its_report(postgres):
    # A save whose first attempt is cut off must not take its own document for "seen"
    # on the retry: the report would be lost, its frontier entry settled "done".
    from nianbao.archive.documents import Document
    from nianbao.ingest import REPORT, Ingest, parse
    from nianbao.store import Store
    from nianbao.store.retry import RetryingStore

    from .test_pipeline import report_page

    store = RetryingStore(Store(postgres.url, upgrade=True), seconds=60)
    try:
        fetch_id = store.add_fetch(url="http://127.0.0.1/r.html", method="GET", status=200,
                                   payload_digest="sha1:R", warc_record_id="<urn:uuid:r>")
        doc = Document(url="http://127.0.0.1/r.html", content_type="text/html",
                       record_id="<urn:uuid:r>", payload_digest="sha1:R", fetch_id=fetch_id,
                       _body=report_page())
        report = parse(doc)
        assert report.is_report
        ingest = Ingest(store.store)
        restart = _restart_after(postgres, 1.5)
        saved = store.run(lambda: ingest.save(doc, report), "storing a document")
        restart.join()
    finally:
        store.close()
    assert store.retries > 0  # the first attempt did meet the outage
    assert saved.outcome == REPORT
    assert _report_rows(postgres.url) == [("http://127.0.0.1/r.html",)]


def test_the_pipeline_waits_out_an_outage_met_while_asking_what_is_known(postgres):
    # The document's fetch row was written; the database goes before the pipeline asks
    # whether its payload is known. That read is retried like the writes: an item error
    # would settle the frontier entry "failed", and the rerun would never store it.
    import asyncio

    from nianbao.crawler.items import DocumentItem, Fetched
    from scrapy.utils.test import get_crawler

    from nianbao.pipeline import StorePipeline

    from .test_pipeline import report_page

    crawler = get_crawler(settings_dict={"NIANBAO_DB_URL": postgres.url,
                                         "NIANBAO_PARSE_PROCESSES": 0,
                                         "NIANBAO_DB_RETRY_SECONDS": 60})
    pipeline = StorePipeline.from_crawler(crawler)
    try:
        fetch_id = pipeline.store.add_fetch(url="http://127.0.0.1/k.html", method="GET",
                                            status=200, payload_digest="sha1:K",
                                            warc_record_id="<urn:uuid:k>")
        item = DocumentItem(portal="p", url="http://127.0.0.1/k.html", status=200,
                            content_type="text/html; charset=utf-8", body=report_page(),
                            warc_record_id="<urn:uuid:k>",
                            fetch=Fetched(fetch_id, "<urn:uuid:k>", None, None, None,
                                          "response", "sha1:K", None, 200, None))
        restart = _restart_after(postgres, 1.5)
        asyncio.run(pipeline.process_item(item))
        restart.join()
    finally:
        pipeline.close_spider()
    assert pipeline.store.retries > 0
    assert not crawler.stats.get_value("nianbao/interrupted_reason")
    assert _report_rows(postgres.url) == [("http://127.0.0.1/k.html",)]
