"""Change detection against a portal that changes between crawls.

A test-local portal on 127.0.0.1 publishes demo seed reports and is switched between states;
each state is crawled for real by the scheduler's job (a child `nianbao crawl`, real WARC
files, real SQLite), and `nianbao changes` reads what was found.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3

import pytest
from nianbao.scheduler.jobs import crawl_job
from nianbao.store import default_url

from nianbao.commands.schedule import config_jobs
from nianbao.demo import load_seeds, render_report_html, report_title

from .conftest import run_nianbao, write_portal_config
from .pages import PageServer

SEEDS = {s.id: s for s in load_seeds()}
X, Y, Z = SEEDS["000"], SEEDS["001"], SEEDS["003"]  # revised, removed, new
# X revised in three cells (its totals stay consistent)
REVISION = {"active.licensing.decisions": 290, "applications.received.natural_person": 7,
            "applications.received.total": 8}
X2 = dataclasses.replace(X, values={**X.values, **REVISION})


def report_page(seed) -> bytes:
    title = report_title(seed)
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<h1>{title}</h1>{render_report_html(seed)}</body></html>").encode()


def listing(links: list[tuple[str, str]], next_page: str | None) -> bytes:
    items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    more = f'<a href="{next_page}">下一页</a>' if next_page else ""
    return (f"<html><head><meta charset='utf-8'></head><body><ul>{items}</ul>{more}"
            f"</body></html>").encode()


def site(state: str) -> dict[str, tuple[int, bytes]]:
    """The portal in each state: page 1 lists one report and links to page 2."""
    x = X2 if state in ("B", "C", "D", "E") else X
    second = Y if state == "A" else Z
    pages = {
        "/robots.txt": (200, b"User-agent: *\nAllow: /\n"),
        "/index.html": (200, listing([("/art/x.html", report_title(x))], "/index_1.html")),
        "/index_1.html": (200, listing([(f"/art/{second.id}.html", report_title(second))],
                                       None)),
        "/art/x.html": (200, report_page(x)),
        f"/art/{second.id}.html": (200, report_page(second)),
    }
    if state == "C":  # the crawl fails midway: page 2 of the list is down
        pages["/index_1.html"] = (503, b"<h1>Service Unavailable</h1>")
    if state == "D":  # X is still listed but its page is gone
        pages["/art/x.html"] = (404, b"not found")
    return pages


class Portal(PageServer):
    def switch(self, state: str) -> None:
        self.pages = site(state)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Crawls of states A, B, B again, C (fails midway), D (X 404) and E (X back)."""
    data = tmp_path_factory.mktemp("changes")
    portal = Portal()
    config = data / "portals.toml"
    write_portal_config(config, "two-state", f"http://{portal.host}/index.html", portal.host,
                        requests_per_second=50.0)
    (job,) = config_jobs(config, data)
    runs = {}
    try:
        for step in ("A", "B", "B2", "C", "D", "E"):
            portal.switch(step[0])
            # what `schedule run` and `schedule run-now` run: `nianbao crawl` in a child
            # process, then change detection
            runs[step] = crawl_job(job.portal, list(job.argv), default_url(data.resolve()),
                                   str(data / "schedule"), trigger="run-now")
    finally:
        portal.close()
    out = run_nianbao("changes", "--data-dir", str(data), "--format", "jsonl")
    assert out.returncode == 0, out.stderr
    changes = [json.loads(line) for line in out.stdout.splitlines()]
    db = sqlite3.connect(data / "nianbao.sqlite")
    run_ids = [r for (r,) in db.execute("SELECT crawl_run_id FROM schedule_run ORDER BY id")]
    by_step = {step: [c for c in changes if c["crawl_run"] == run_id]
               for step, run_id in zip(runs, run_ids, strict=True)}
    return {"data": data, "runs": runs, "changes": by_step, "db": db, "run_ids": run_ids,
            "all": changes}


def kinds(changes: list[dict]) -> list[tuple[str, str, int]]:
    return sorted((c["kind"], c["agency"], c["year"]) for c in changes)


def test_first_crawl_finds_two_new_reports(history):
    assert history["runs"] == dict.fromkeys(("A", "B", "B2", "C", "D", "E"), "completed")
    assert kinds(history["changes"]["A"]) == sorted([("new", X.agency, 2023),
                                                     ("new", Y.agency, 2019)])


def test_switching_the_portal_gives_exactly_the_three_changes(history):
    changes = history["changes"]["B"]
    assert kinds(changes) == sorted([("revised", X.agency, 2023), ("new", Z.agency, 2023),
                                     ("removed", Y.agency, 2019)])
    revised = next(c for c in changes if c["kind"] == "revised")
    assert revised["diff"] == {"active.licensing.decisions": [282, 290],
                               "applications.received.natural_person": [5, 7],
                               "applications.received.total": [6, 8]}
    assert revised["text_only"] is False
    removed = next(c for c in changes if c["kind"] == "removed")
    assert removed["url"].endswith("/art/001.html") and "diff" not in removed
    assert "no longer listed" in removed["reason"]
    # the new version is kept next to the old one, each with its WARC record
    (old,) = [c for c in history["changes"]["A"] if c["agency"] == X.agency]
    assert revised["source"]["warc_record_id"] != old["source"]["warc_record_id"]
    db = history["db"]
    values = db.execute(
        "SELECT v.value FROM report_value v JOIN report r ON r.id = v.report_id "
        "WHERE r.agency = ? AND v.key = 'active.licensing.decisions' ORDER BY r.id",
        (X.agency,)).fetchall()
    assert [v for (v,) in values][:2] == [282, 290]


def test_a_second_crawl_of_an_unchanged_portal_records_no_change(history):
    assert history["changes"]["B2"] == []


def test_a_crawl_that_fails_midway_removes_nothing(history):
    db = history["db"]
    run_id = history["run_ids"][3]
    status, errors = db.execute("SELECT status, errors FROM crawl_run_portal "
                                "WHERE crawl_run_id = ?", (run_id,)).fetchone()
    assert (status, errors) == ("completed", 1)  # Z's list page was down: Z was not seen
    assert history["changes"]["C"] == []


def test_a_404_removes_and_a_return_reappears(history):
    (removed,) = history["changes"]["D"]
    assert (removed["kind"], removed["agency"]) == ("removed", X.agency)
    assert removed["reason"] == "HTTP 404"
    (back,) = history["changes"]["E"]
    assert (back["kind"], back["agency"], back["year"]) == ("reappeared", X.agency, 2023)
    assert "diff" not in back  # the same values as the version last seen


def test_changes_text_and_filters(history):
    data = history["data"]
    out = run_nianbao("changes", "--data-dir", str(data), "--kind", "revised")
    assert out.returncode == 0, out.stderr
    assert "revised" in out.stdout and "3 values" in out.stdout
    assert "active.licensing.decisions: 282 → 290" in out.stdout
    assert "new " not in out.stdout
    out = run_nianbao("schedule", "history", "--data-dir", str(data), "--format", "jsonl")
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["changes"] for r in reversed(rows)] == [2, 3, 0, 0, 1, 1]
    assert all(r["finished_at"] and r["status"] == "completed" for r in rows)


def test_a_report_on_two_portals_is_followed_on_each_without_flip_flopping(tmp_path):
    """The same report on two portals (each its own page): new on each the first time, and
    an unchanged second crawl logs nothing, rather than a text-only revision each way."""
    pages = {"/robots.txt": (200, b"User-agent: *\nAllow: /\n"),
             "/index.html": (200, listing([("/art/x.html", report_title(X))], None))}
    with PageServer({**pages, "/art/x.html": (200, report_page(X))}) as one, \
            PageServer({**pages, "/art/x.html": (200, report_page(X) + b"<!-- copy -->")}) as two:
        config = tmp_path / "portals.toml"
        text = ""
        for name, server in (("district", one), ("agency", two)):
            write_portal_config(config, name, f"http://{server.host}/index.html", server.host)
            text += config.read_text(encoding="utf-8")
        config.write_text(text, encoding="utf-8")
        runs = []
        for _ in range(2):
            crawled = run_nianbao("crawl", "--config", str(config), "--data-dir",
                                  str(tmp_path), "--no-progress")
            assert crawled.returncode == 0, crawled.stderr
            out = run_nianbao("changes", "--data-dir", str(tmp_path), "--format", "jsonl")
            runs.append([json.loads(line) for line in out.stdout.splitlines()])
    first, second = runs
    assert sorted((c["kind"], c["url"].split("/")[2]) for c in first) == sorted(
        [("new", one.host), ("new", two.host)])
    assert second == first  # the second crawl added nothing to the log


# -- reparse over the whole history ---------------------------------------------------------

#: `nianbao reparse` with another parser version, killed with SIGKILL as it is about to save
#: the KILL_AT-th report it parsed (0: never): a real kill -9 at a known point.
KILLED_REPARSE = """
import os, signal, sys
from nianbao import ingest, parsers
parsers.PARSER_VERSION = "9.9.9-test"
kill_at, saves = int(os.environ["KILL_AT"]), [0]
save_many = ingest.Ingest.save_many
def dying_save_many(self, items):
    for _, result in items:
        saves[0] += isinstance(result, ingest.Parsed)
        if kill_at and saves[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
    return save_many(self, items)
ingest.Ingest.save_many = dying_save_many
from nianbao.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _reparse(data, kill_at: int = 0, version: str | None = None, batch: int = 1):
    import os
    import subprocess
    import sys

    argv = ["reparse", "--data-dir", str(data), "--no-progress", "--processes", "1",
            "--batch", str(batch)]
    if version is None:
        return run_nianbao(*argv)
    return subprocess.run([sys.executable, "-c", KILLED_REPARSE, *argv], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "KILL_AT": str(kill_at)})


def _state(data) -> tuple[list, list, dict]:
    """(every copy exported, less its parser version; the change log; rows per table)."""
    from nianbao.cli import main

    out = data / "export.jsonl"
    assert main(["export", "--data-dir", str(data), "--all-copies", "--out", str(out)]) == 0
    copies = sorted(json.dumps({k: v for k, v in json.loads(line).items()
                                 if k != "parser_version"}, sort_keys=True)
                     for line in out.read_text(encoding="utf-8").splitlines())
    with sqlite3.connect(data / "nianbao.sqlite") as db:
        changes = db.execute("SELECT * FROM report_change ORDER BY id").fetchall()
        rows = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("report", "report_value", "report_change", "error")}
        rows["new_versions"] = db.execute("SELECT COUNT(*) FROM report "
                                          "WHERE parser_version = '9.9.9-test'").fetchone()[0]
    return copies, changes, rows


def test_reparse_after_revisions_and_removals_keeps_every_value_and_change(history,
                                                                           tmp_path):
    import shutil

    data = tmp_path / "copy"
    shutil.copytree(history["data"], data, ignore=shutil.ignore_patterns("schedule"))
    copies, changes, rows = _state(data)
    assert len(changes) == sum(map(len, history["changes"].values())) > 5

    # the same parser version: every payload is read already, nothing changes
    out = _reparse(data)
    assert out.returncode == 0, out.stderr
    assert "0 new versions" in out.stdout
    assert _state(data) == (copies, changes, rows)

    # a new parser version, killed -9 in the middle (a transaction a document), then run
    # again to the end
    killed = _reparse(data, kill_at=3, version="9.9.9-test")
    assert killed.returncode == -9
    assert _state(data)[2]["new_versions"] == 2  # what was committed is kept
    finished = _reparse(data, version="9.9.9-test")
    assert finished.returncode == 0, finished.stderr
    after = _state(data)
    assert after[0] == copies  # every value of every copy, as before
    assert after[1] == changes  # the change log, as before
    # one new version per version before (every payload read by the new parser once),
    # nothing deleted
    assert after[2]["new_versions"] == rows["report"]
    assert after[2]["report"] == 2 * rows["report"]
    assert after[2]["report_value"] == 2 * rows["report_value"]

    # a second reparse is the first one again: nothing added
    again = _reparse(data, version="9.9.9-test", batch=3)
    assert again.returncode == 0, again.stderr
    assert _state(data) == after
