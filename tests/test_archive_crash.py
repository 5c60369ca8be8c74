"""A crawl killed with SIGKILL mid-crawl: every completed record stays readable, the
database and the WARC file agree, and the next crawl starts a new file."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from archive import iter_records, load_payload, scan_file
from archive.reader import resolve_path

from .conftest import run_nianbao


def fetch_rows(db_path) -> list[tuple]:
    try:
        with sqlite3.connect(db_path, timeout=10) as db:
            return db.execute("SELECT url, warc_file, warc_offset, warc_record_id, record_type "
                              "FROM fetch ORDER BY id").fetchall()
    except sqlite3.OperationalError:
        return []  # not created yet


def test_sigkill_mid_crawl_keeps_every_completed_record(tmp_path, capsysbinary):
    from nianbao.cli import main
    from nianbao.demo import DemoPortals

    warc_dir = tmp_path / "warc"
    db_path = tmp_path / "nianbao.sqlite"
    with DemoPortals() as demo:
        config = tmp_path / "portals.toml"
        # slow enough to be caught in the middle
        config.write_text(demo.config_toml().replace("requests_per_second = 20.0",
                                                     "requests_per_second = 4.0"))
        process = subprocess.Popen(
            [sys.executable, "-m", "nianbao.cli", "crawl", "--config", str(config),
             "--data-dir", str(tmp_path), "--no-progress"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while len(fetch_rows(db_path)) < 6:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the crawl made no progress"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL

        (left,) = list(warc_dir.glob("*.warc.gz.open"))  # never closed, never renamed
        assert not list(warc_dir.glob("*.warc.gz"))
        scan = scan_file(left)
        records = list(iter_records(left))
        assert scan.records == len(records) >= 1 + 2 * 6

        # the database and the WARC agree: every row names a record that is there
        rows = fetch_rows(db_path)
        by_id = {r.rec_headers.get_header("WARC-Record-ID"): r for r in records}
        for _url, warc_file, offset, record_id, record_type in rows:
            assert resolve_path(warc_dir, warc_file) == left
            assert by_id[record_id].rec_type == record_type
            stored = load_payload(warc_dir, warc_file, offset)
            assert stored.headers["WARC-Record-ID"] == record_id
        # ... and every record that should have a row has one, but for the exchange that
        # was being written when the process died
        row_ids = {row[3] for row in rows}
        without = [r for r in records if r.rec_type in ("response", "revisit", "resource")
                   and r.rec_headers.get_header("WARC-Record-ID") not in row_ids]
        assert len(without) <= 1

        # replay reads the completed records of the killed crawl's file (the command on
        # two of them; load_payload above read them all)
        for url, warc_file, offset, *_ in [row for row in rows if row[4] == "response"][:2]:
            assert main(["replay", "--data-dir", str(tmp_path), url]) == 0
            assert capsysbinary.readouterr().out == load_payload(warc_dir, warc_file,
                                                                 offset).decoded

        # the next crawl starts a new file, finishes it, and leaves the old one alone
        config.write_text(demo.config_toml())
        again = run_nianbao("crawl", "--config", str(config), "--data-dir", str(tmp_path),
                            "--no-progress", "--portal", demo.portals[0].name)
        assert again.returncode == 0, again.stderr
    (new,) = list(warc_dir.glob("*.warc.gz"))
    assert new.name != left.name.removesuffix(".open") and left.exists()
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(new)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    # records of the unclosed file were never committed to the index: nothing revisits them
    kinds = [r.rec_type for r in iter_records(new)]
    assert "revisit" not in kinds and "response" in kinds
