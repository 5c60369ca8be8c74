"""Disk faults (issue 16, guarantee 3): the WARC folder is a tmpfs too small for the crawl.
The crawl stops cleanly, "interrupted", with a one-line reason and exit 1; no fetch is left
without its record; once there is room the next run resumes and nothing is lost."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from .conftest import write_portal_config
from .faults import Portal, assert_nothing_lost

PAGES = 24


@pytest.fixture()
def small_disk(tmp_path):
    """``tmp_path/warc`` as a 96 KiB tmpfs (grown later by remounting)."""
    warc = tmp_path / "warc"
    warc.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k",
                              f"nianbao-test-{uuid.uuid4().hex[:8]}", str(warc)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): "
                    f"{mounted.stderr.strip()}")
    yield warc
    subprocess.run(["umount", "-l", str(warc)], check=False)


def _crawl(config: Path, data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--config",
                           str(config), "--data-dir", str(data_dir), "--no-progress"],
                          capture_output=True, text=True, timeout=300)


def test_a_full_warc_disk_stops_the_crawl_and_the_next_run_resumes(small_disk, tmp_path):
    portal = Portal(PAGES)
    try:
        config = write_portal_config(tmp_path / "portals.toml", "disk", portal.url("/"),
                                     portal.host)
        first = _crawl(config, tmp_path)
        assert first.returncode == 1, first.stdout + first.stderr
        assert "completed" not in first.stdout
        reasons = [line for line in first.stderr.splitlines()
                   if line.startswith("nianbao: crawl run")]
        assert len(reasons) == 1 and "interrupted" in reasons[0], first.stderr
        assert "No space left on device" in reasons[0]
        assert "nianbao: portal disk failed: cut short" in first.stderr
        assert "Traceback" not in first.stderr
        fetched_first = [p for _, p in portal.asked]
        assert len(set(fetched_first) & set(portal.paths)) < PAGES  # it did stop early

        subprocess.run(["mount", "-o", "remount,size=16m", str(small_disk)], check=True)
        second = _crawl(config, tmp_path)
        assert second.returncode == 0, second.stdout + second.stderr
    finally:
        portal.close()
    asked = [p for _, p in portal.asked]
    # resumed, not started over: the listing was read once; what the first run fetched
    # and archived before the disk filled is not fetched again
    assert asked.count("/") == 1, asked
    refetched = [p for p in portal.paths if asked.count(p) > 1]
    assert len(refetched) <= 2, refetched  # at most what was in flight when it stopped
    assert_nothing_lost(tmp_path, f"sqlite:///{tmp_path / 'nianbao.sqlite'}",
                        [portal.url(p) for p in portal.paths])
