"""A crawl killed with SIGKILL mid-crawl: every completed record stays readable, the
database and the WARC file agree, and the next crawl finishes the file and starts a new one."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from nianbao.archive import iter_records, load_payload, scan_file
from nianbao.archive.index import read_index
from nianbao.archive.reader import resolve_path

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

        # the next crawl finishes the killed crawl's file, then starts a new one
        config.write_text(demo.config_toml())
        again = run_nianbao("crawl", "--config", str(config), "--data-dir", str(tmp_path),
                            "--no-progress", "--portal", demo.portals[0].name)
        assert again.returncode == 0, again.stderr
    recovered = warc_dir / left.name.removesuffix(".open")
    assert not left.exists() and recovered.exists()
    assert scan_file(recovered).records == len(records)  # the cut tail held no record
    assert not scan_file(recovered).truncated
    (new,) = set(warc_dir.glob("*.warc.gz")) - {recovered}
    for path in (recovered, new):
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout
    # the killed crawl's records are in the index now, and its rows still resolve
    indexed = [e for e in read_index(warc_dir) if e.filename == recovered.name]
    assert len(indexed) == sum(1 for r in records
                               if r.rec_type in ("response", "revisit", "resource"))
    for _url, warc_file, offset, record_id, _type in rows:
        assert resolve_path(warc_dir, warc_file) == recovered
        assert load_payload(warc_dir, warc_file, offset).headers["WARC-Record-ID"] == record_id
    # so the new crawl may revisit them, and only them: its own file was not committed
    recovered_ids = set(by_id)
    refers = [r.rec_headers.get_header("WARC-Refers-To") for r in iter_records(new)
              if r.rec_type == "revisit"]
    assert all(ref in recovered_ids for ref in refers if ref)
    assert "response" in [r.rec_type for r in iter_records(new)] or refers
