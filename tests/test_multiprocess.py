"""Several nianbao processes on one SQLite database and one data dir: migrations do not
race, and a live crawl's `running` portals are not taken for a killed crawl's (the
PostgreSQL cases are in test_distributed.py, which starts a server)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import run_nianbao, write_portal_config

ROOT = Path(__file__).resolve().parent.parent
OPEN_STORE = ("import sys; from nianbao.store import Store; "
              "Store(sys.argv[1], upgrade=True).close()")


def _open_together(url: str, count: int) -> list[subprocess.CompletedProcess]:
    processes = [subprocess.Popen([sys.executable, "-c", OPEN_STORE, url], cwd=ROOT,
                                  stderr=subprocess.PIPE, text=True) for _ in range(count)]
    return [(p.wait(timeout=120), p.stderr.read()) for p in processes]


def test_processes_migrating_one_new_sqlite_file_at_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'nianbao.sqlite'}"
    results = _open_together(url, 3)
    assert all(code == 0 for code, _ in results), [err[-800:] for _, err in results]


def test_a_live_crawls_running_portal_is_not_a_killed_crawl(tmp_path):
    from nianbao.crawler.frontier import Frontier, claim_frontier

    config = write_portal_config(tmp_path / "portals.toml", "demo", "http://127.0.0.1:9/",
                                 "127.0.0.1:9")
    data = tmp_path / "data"
    data.mkdir()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # the state a crawl in another live process leaves while it runs
        frontier = Frontier(data / "frontier.sqlite")
        frontier.db.execute("INSERT INTO portal_state (portal, status, owner) "
                            "VALUES ('demo', 'running', ?)",
                            (f"{__import__('socket').gethostname().split('.')[0]}:{live.pid}",))
        frontier.close()
        out = run_nianbao("crawl", "--config", str(config), "--data-dir", str(data),
                          "--no-progress", timeout=120)
        assert out.returncode == 1
        assert "being crawled by process" in out.stderr and "Traceback" not in out.stderr
        assert not (data / "nianbao.sqlite").exists()  # nothing started
    finally:
        live.kill()
        live.wait()
    # its owner gone, the same state is a killed crawl: resumed by whoever comes next
    claim_frontier(data / "frontier.sqlite", ["demo"])
    frontier = Frontier(data / "frontier.sqlite")
    assert frontier.begin("demo") is True
    frontier.close()
