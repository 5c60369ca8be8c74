"""A crawl killed with SIGKILL and run again continues where it stopped: it fetches again
at most the requests that were in flight, and duplicates no WARC record or database row."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from nianbao.demo.generated import serve_generated

from .conftest import run_nianbao, write_portal_config


def response_records(warc_dir: Path) -> list[tuple[str, str]]:
    """(type, target URI) of every response/revisit record, in finished and .open files."""
    records = []
    for path in sorted(p for p in warc_dir.iterdir() if ".warc" in p.name
                       and not p.name.endswith((".cdxj", ".idx"))):
        with open(path, "rb") as fh:
            try:
                for record in ArchiveIterator(fh):
                    if record.rec_type in ("response", "revisit"):
                        records.append((record.rec_type,
                                        record.rec_headers.get_header("WARC-Target-URI")))
            except Exception:  # noqa: BLE001 - a record cut by the kill ends the file
                pass
    return records


def done_count(frontier: Path) -> int:
    if not frontier.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{frontier}?mode=ro", uri=True, timeout=1)
        try:
            return db.execute("SELECT count(*) FROM frontier WHERE state = 'done'").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def test_kill_9_and_resume_without_duplicates(tmp_path):
    server, reports = serve_generated(63, n_reports=3, per_list=20)
    try:
        config = tmp_path / "portals.toml"
        write_portal_config(config, "generated", f"http://{server.host}/zwgk/ndbg/index.html",
                            server.host, requests_per_second=25.0)
        args = [sys.executable, "-m", "nianbao.cli", "crawl", "--config", str(config),
                "--data-dir", str(tmp_path), "--no-progress"]
        first = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        frontier = tmp_path / "frontier.sqlite"
        deadline = time.monotonic() + 120
        # wait (by polling the frontier, not by timing) until part of the crawl is done
        while done_count(frontier) < 20 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.poll() is None, "the crawl finished before it could be killed"
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        first.stderr.close()
        killed_at = done_count(frontier)
        assert 20 <= killed_at < 63
        log_before = list(server.site.request_log)

        second = run_nianbao("crawl", "--config", str(config), "--data-dir", str(tmp_path),
                             "--no-progress")
        assert second.returncode == 0, second.stderr
        log_after = server.site.request_log[len(log_before):]
    finally:
        server.close()

    # every page fetched; the second run fetched again only what was in flight (one slot,
    # one request at a time: at most a couple) besides its own robots.txt
    fetched = Counter(t for m, t in server.site.request_log if t != "/robots.txt")
    assert len(fetched) == 63
    refetched = {t for _, t in log_after if t != "/robots.txt"} & {t for _, t in log_before}
    assert len(refetched) <= 2, refetched

    # no URL has two response records (robots.txt is asked once a run, by design)
    records = Counter(uri for _, uri in response_records(tmp_path / "warc")
                      if not uri.endswith("/robots.txt"))
    assert len(records) == 63
    assert max(records.values()) - 1 <= len(refetched)

    db = sqlite3.connect(tmp_path / "nianbao.sqlite")
    rows = db.execute("SELECT url, count(*) FROM report GROUP BY url").fetchall()
    assert sorted(url for url, _ in rows) == sorted(f"http://{server.host}{p}" for p in reports)
    assert all(count == 1 for _, count in rows)
    dup = db.execute("SELECT warc_record_id, count(*) FROM fetch GROUP BY warc_record_id "
                     "HAVING count(*) > 1").fetchall()
    assert dup == []
    runs = db.execute("SELECT status FROM crawl_run ORDER BY id").fetchall()
    assert runs[-1] == ("completed",)


def test_resume_replays_archived_responses_instead_of_fetching(tmp_path):
    """A URL whose response was archived before the kill ('fetched') is read back from the
    WARC file; a 'queued' one is fetched; nothing else is asked for or stored again."""
    server, reports = serve_generated(12, n_reports=2, per_list=5)
    try:
        config = tmp_path / "portals.toml"
        write_portal_config(config, "generated", f"http://{server.host}/zwgk/ndbg/index.html",
                            server.host, requests_per_second=50.0)
        first = run_nianbao("crawl", "--config", str(config), "--data-dir", str(tmp_path),
                            "--no-progress")
        assert first.returncode == 0, first.stderr
        db = sqlite3.connect(tmp_path / "nianbao.sqlite")
        before = db.execute("SELECT count(*) FROM report").fetchone()[0]
        assert before == 2
        # what a kill leaves behind: one report archived but not yet settled, one list
        # page not yet fetched, the portal's crawl unfinished
        frontier = sqlite3.connect(tmp_path / "frontier.sqlite")
        report_url = f"http://{server.host}{reports[0]}"
        list_url = f"http://{server.host}/zwgk/ndbg/index_1.html"
        with frontier:
            assert frontier.execute("UPDATE frontier SET state = 'fetched' WHERE url = ?",
                                    (report_url,)).rowcount == 1
            assert frontier.execute("UPDATE frontier SET state = 'queued' WHERE url = ?",
                                    (list_url,)).rowcount == 1
            frontier.execute("UPDATE portal_state SET status = 'running'")
        frontier.close()
        mark = len(server.site.request_log)
        second = run_nianbao("crawl", "--config", str(config), "--data-dir", str(tmp_path),
                             "--no-progress")
        assert second.returncode == 0, second.stderr
        asked = [t for _, t in server.site.request_log[mark:] if t != "/robots.txt"]
    finally:
        server.close()
    assert asked == ["/zwgk/ndbg/index_1.html"]
    assert db.execute("SELECT count(*) FROM report").fetchone()[0] == before
    frontier = sqlite3.connect(tmp_path / "frontier.sqlite")
    assert dict(frontier.execute("SELECT state, count(*) FROM frontier GROUP BY state")) == {
        "done": 12}
    assert frontier.execute("SELECT status FROM portal_state").fetchall() == [("completed",)]
